// A model laid out as a blob (the server-wide cache's form) serves exactly
// what the model itself serves.
#include "core/model_blob.h"
#include "core/cpu_kernel.h"
#include "core/linear_filter.h"
#include "core/model_patch.h"
#include "core/trainer.h"

#include <gtest/gtest.h>

#include <vector>

#include "small_models.h"

namespace cfrec::core {
namespace {

void expect_same_answers(Feedback feedback) {
    const FactorModel m = test::train_small(test::communities(), feedback, 5);
    const BlobSource s = source_of(m);
    const BlobExtras extras(s, true);
    std::vector<char> blob(blob_bytes(s, extras));
    write_blob(s, extras, blob.data());
    BlobReaders readers;
    const ModelView v = read_blob(blob.data(), readers);
    EXPECT_EQ(v.half_items != nullptr, m.half_items != nullptr);
    for (int32_t u = 0; u < static_cast<int32_t>(m.user_ids.size()); u += 7) {
        for (bool use_half : {true, false}) {
            const auto a = recommend(m, u, 10, {}, use_half), b = recommend(v, u, 10, {}, use_half);
            ASSERT_EQ(a.size(), b.size());
            for (size_t j = 0; j < a.size(); ++j) {
                EXPECT_EQ(a[j].index, b[j].index);
                EXPECT_EQ(a[j].score, b[j].score);
            }
        }
        EXPECT_EQ(predict(m, m.user_ids[u], 3), predict(v, m.user_ids[u], 3));
    }
    const auto a = similar_items(m, 2, 5), b = similar_items(v, 2, 5);
    for (size_t j = 0; j < a.size(); ++j) EXPECT_EQ(a[j].index, b[j].index);
    const int64_t items[] = {1, 2, 3};
    const float values[] = {1, 1, 1};
    float bias_a = 0, bias_b = 0;
    Eigen::VectorXf xa, xb;
    ASSERT_TRUE(fold_in(m, items, values, 3, {}, bias_a, xa));
    ASSERT_TRUE(fold_in(v, items, values, 3, {}, bias_b, xb));
    EXPECT_TRUE(xa.isApprox(xb));
}

TEST(ModelBlob, ExplicitModelServesTheSame) {
    expect_same_answers(Feedback::Explicit);
}
TEST(ModelBlob, ImplicitModelServesTheSame) {
    expect_same_answers(Feedback::Implicit);
}

// A linear filter's operator travels in the blob: a reader scores anyone
// from their items, explains and finds neighbours exactly as the original,
// without building anything.
TEST(ModelBlob, LinearFilterServesTheSame) {
    const Interactions data = test::build(test::communities(), DuplicatePolicy::Sum);
    TrainOptions o = default_options(Algorithm::LinearFilter, Feedback::Implicit);
    o.factors = 6;
    o.iterations = 4;
    auto trainer = make_trainer(data, o);
    for (int it = 0; it < o.iterations; ++it) trainer->step(test::never_stop);
    const FactorModel m = trainer->take_model();
    ASSERT_TRUE(m.linear);
    const BlobSource s = source_of(m);
    const BlobExtras extras(s, true);
    EXPECT_EQ(extras.half(), nullptr) << "scored through its operator, not a half copy";
    std::vector<char> blob(blob_bytes(s, extras));
    write_blob(s, extras, blob.data());
    BlobReaders readers;
    const ModelView v = read_blob(blob.data(), readers);
    ASSERT_NE(v.linear, nullptr);
    EXPECT_EQ(v.linear->bytes(), m.linear->bytes());
    // The half-precision copy travels too, where this CPU makes one.
    EXPECT_EQ(v.linear->arrays().half_factors.size(), m.linear->arrays().half_factors.size());
    EXPECT_EQ(v.linear->arrays().half_slack.size(), m.linear->arrays().half_slack.size());
    EXPECT_EQ(m.linear->arrays().half_factors.empty(), cpu_kernel() == CpuKernel::None);
    EXPECT_EQ(v.linear->row_index(data.user_ids[3]), 3);
    const std::vector<int32_t> none;
    for (int32_t row = 0; row < m.linear->rows().rows(); row += 5) {
        const PatternView &p = m.linear->rows();
        const std::vector<int32_t> items(p.indices.begin() + p.indptr[row],
                                         p.indices.begin() + p.indptr[row + 1]);
        const auto a = recommend_from_items(m, items, 10, items);
        const auto b = recommend_from_items(v, items, 10, items);
        ASSERT_EQ(a.size(), b.size());
        for (size_t j = 0; j < a.size(); ++j) {
            EXPECT_EQ(a[j].index, b[j].index);
            EXPECT_EQ(a[j].score, b[j].score);
        }
        EXPECT_EQ(m.linear->share(m.view().item_factors, items[0], 5),
                  v.linear->share(v.item_factors, items[0], 5));
    }
    const auto a = operator_neighbours(m, 2, 5), b = operator_neighbours(v, 2, 5);
    ASSERT_EQ(a.size(), b.size());
    for (size_t j = 0; j < a.size(); ++j) EXPECT_EQ(a[j].index, b[j].index);
}

// A copy read back from a blob, patched, serves what the patched original does.
TEST(ModelBlob, OwnedCopyPatchesLikeTheOriginal) {
    FactorModel m = test::train_small(test::communities(), Feedback::Implicit, 5);
    const BlobSource s = source_of(m);
    const BlobExtras extras(s, true);
    std::vector<char> blob(blob_bytes(s, extras));
    write_blob(s, extras, blob.data());
    BlobReaders readers;
    FactorModel copy = owned_copy(read_blob(blob.data(), readers));
    const int64_t ids[] = {7, 1000};  // one known user, one new
    const float bias[] = {0, 0};
    std::vector<float> factors(2 * m.factors(), 0.25f);
    const ChangedRows rows{ids, bias, factors.data(), nullptr, 2, m.factors()};
    apply_changes(m, Side::Users, rows);
    apply_changes(copy, Side::Users, rows);
    ASSERT_EQ(m.user_ids, copy.user_ids);
    for (int32_t u = 0; u < static_cast<int32_t>(m.user_ids.size()); u += 9) {
        const auto a = recommend(m, u, 5, {}), b = recommend(copy, u, 5, {});
        ASSERT_EQ(a.size(), b.size());
        for (size_t j = 0; j < a.size(); ++j) EXPECT_EQ(a[j].index, b[j].index);
    }
}

}  // namespace
}  // namespace cfrec::core
