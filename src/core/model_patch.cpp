#include "core/model_patch.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/serving.h"

namespace cfrec::core {

namespace {

using ConstRow = Eigen::Map<const Eigen::Matrix<float, 1, Eigen::Dynamic>>;

// One side of a model, by reference.
struct SideRef {
    std::vector<int64_t> &ids;
    std::vector<float> &bias;
    FactorMatrix &factors;
    std::vector<int32_t> *counts;  // items only
};

// Inserts rows.ids[added[...]] (sorted by id) into the side, merging from the
// back so rows already in place stay there: a new largest id moves nothing.
// When the matrix is full it grows by `spare` extra zero rows, so a stream of
// new users costs one copy of the matrix now and then, not one per user.
void insert_rows(SideRef side, const ChangedRows &rows, const std::vector<size_t> &added,
                 Eigen::Index spare) {
    const Eigen::Index f = side.factors.cols();
    const size_t old_n = side.ids.size(), n = old_n + added.size();
    if (static_cast<size_t>(side.factors.rows()) < n) {
        FactorMatrix grown = FactorMatrix::Zero(static_cast<Eigen::Index>(n) + spare, f);
        grown.topRows(static_cast<Eigen::Index>(old_n)) =
            side.factors.topRows(static_cast<Eigen::Index>(old_n));
        side.factors.swap(grown);
    }
    side.ids.resize(n);
    side.bias.resize(n);
    if (side.counts) side.counts->resize(n);
    size_t a = old_n, b = added.size(), out = n;
    while (b > 0) {
        --out;
        if (a > 0 && side.ids[a - 1] > rows.ids[added[b - 1]]) {
            --a;
            side.ids[out] = side.ids[a];
            side.bias[out] = side.bias[a];
            side.factors.row(out) = side.factors.row(a);
            if (side.counts) (*side.counts)[out] = (*side.counts)[a];
        } else {
            const size_t j = added[--b];
            side.ids[out] = rows.ids[j];
            side.bias[out] = rows.bias[j];
            side.factors.row(out) = ConstRow(rows.factors + j * f, f);
            if (side.counts) (*side.counts)[out] = rows.interactions[j];
        }
    }
}

}  // namespace

void apply_changes(FactorModel &m, Side side, const ChangedRows &rows) {
    if (rows.n == 0) return;
    if (rows.width != m.factors())
        throw Error(ErrorKind::DataError, "changed factor rows have " + std::to_string(rows.width) +
                                              " factors, the model " + std::to_string(m.factors()));
    const bool items = side == Side::Items;
    SideRef s{items ? m.item_ids : m.user_ids, items ? m.item_bias : m.user_bias,
              items ? m.item_factors : m.user_factors, items ? &m.item_counts : nullptr};
    const Eigen::Index f = m.item_factors.cols();

    std::vector<size_t> added;  // positions in `rows` of ids the model lacks
    for (size_t j = 0; j < rows.n; ++j) {
        const int32_t at = items ? m.item_index(rows.ids[j]) : m.user_index(rows.ids[j]);
        if (at < 0) {
            added.push_back(j);
            continue;
        }
        s.bias[at] = rows.bias[j];
        s.factors.row(at) = ConstRow(rows.factors + j * f, f);
        if (items) m.item_counts[at] = rows.interactions[j];
    }
    if (!added.empty()) {
        std::sort(added.begin(), added.end(),
                  [&](size_t a, size_t b) { return rows.ids[a] < rows.ids[b]; });
        // Item rows stay exact: the serving copies are built from all of them.
        const Eigen::Index spare =
            items ? 0 : static_cast<Eigen::Index>(s.ids.size() / 8 + added.size() + 1024);
        insert_rows(s, rows, added, spare);
    }
    if (items) prepare_for_serving(m);
}

}  // namespace cfrec::core
