#include "core/model_blob.h"

#include <cstring>

namespace cfrec::core {

namespace {

constexpr uint64_t kMagic = 0x63667265632d6234ULL;  // "cfrec-b4"; see kBlobLayout

// Where each array starts, from the blob's first byte; 0: absent.
struct Header {
    uint64_t magic;
    int32_t feedback;
    int32_t factors;
    double global_mean;
    float rating_min, rating_max;
    int64_t users, items;
    uint64_t user_ids, user_bias, user_factors;
    uint64_t item_ids, item_bias, item_factors, item_counts;
    uint64_t half, half_norms, half_bias, half_order, half_rest_bias, gram;
    int32_t half_items;
    float half_max_norm;
    // A linear filter's operator (LinearFilterArrays): its training users
    // and their interactions (both ways), the degrees and the weights, and
    // the half-precision copy of its item factors when it has one.
    int64_t linear_rows, linear_nnz, linear_half_count;
    uint64_t linear_row_ids, linear_user_indptr, linear_user_indices, linear_item_indptr,
        linear_item_indices, linear_item_degree, linear_user_degree, linear_ideal, linear_sharpen,
        linear_half, linear_half_slack;
    uint64_t total;
};

// Lays the arrays out one after another, each on a 64-byte boundary.
struct Layout {
    Header h{};
    uint64_t at = (sizeof(Header) + 63) / 64 * 64;
    uint64_t place(uint64_t bytes) {
        const uint64_t start = at;
        at = (at + bytes + 63) / 64 * 64;
        return start;
    }
};

Layout layout(const BlobSource &s, const BlobExtras &e) {
    Layout l;
    Header &h = l.h;
    h.magic = kMagic;
    h.feedback = s.feedback == Feedback::Implicit ? 1 : 0;
    h.factors = s.factors;
    h.global_mean = s.global_mean;
    h.rating_min = s.rating_min;
    h.rating_max = s.rating_max;
    h.users = s.users;
    h.items = s.items;
    const uint64_t f = static_cast<uint64_t>(s.factors);
    h.user_ids = l.place(s.users * 8);
    h.user_bias = l.place(s.users * 4);
    h.user_factors = l.place(s.users * f * 4);
    h.item_ids = l.place(s.items * 8);
    h.item_bias = l.place(s.items * 4);
    h.item_factors = l.place(s.items * f * 4);
    h.item_counts = l.place(s.items * 4);
    if (const HalfItemScorer *half = e.half()) {
        h.half = l.place(half->half_count() * 2);
        h.half_norms = l.place(half->padded_items() * 4);
        h.half_bias = l.place(half->padded_items() * 4);
        h.half_order = l.place(half->padded_items() * 4);
        h.half_rest_bias = l.place(half->blocks() * 4);
        h.half_items = half->items();
        h.half_max_norm = half->max_norm();
    }
    if (e.gram()) h.gram = l.place(f * f * 4);
    if (s.linear) {
        const LinearFilterArrays &a = s.linear->arrays();
        h.linear_rows = static_cast<int64_t>(a.row_ids.size());
        h.linear_nnz = static_cast<int64_t>(a.by_user.indices.size());
        h.linear_row_ids = l.place(h.linear_rows * 8);
        h.linear_user_indptr = l.place((h.linear_rows + 1) * 8);
        h.linear_user_indices = l.place(h.linear_nnz * 4);
        h.linear_item_indptr = l.place((s.items + 1) * 8);
        h.linear_item_indices = l.place(h.linear_nnz * 4);
        h.linear_item_degree = l.place(s.items * 4);
        h.linear_user_degree = l.place(h.linear_rows * 4);
        h.linear_ideal = l.place(f * 4);
        h.linear_sharpen = l.place(f * 4);
        if (!a.half_factors.empty()) {
            h.linear_half_count = static_cast<int64_t>(a.half_factors.size());
            h.linear_half = l.place(h.linear_half_count * 2);
            h.linear_half_slack = l.place(s.items * 4);
        }
    }
    h.total = l.at;
    return l;
}

template <class T>
const T *at(const void *blob, uint64_t offset) {
    return reinterpret_cast<const T *>(static_cast<const char *>(blob) + offset);
}

template <class T>
Span<T> span_at(const void *blob, uint64_t offset, int64_t count) {
    return {at<T>(blob, offset), static_cast<size_t>(count)};
}

template <class T>
void copy(char *to, Span<T> from) {
    std::memcpy(to, from.data(), from.size() * sizeof(T));
}

}  // namespace

BlobExtras::BlobExtras(const BlobSource &s, bool half_precision) {
    if (s.linear) return;
    const Eigen::Map<const FactorMatrix> items(s.item_factors, s.items, s.factors);
    if (half_precision && HalfItemScorer::available()) {
        auto half = std::make_unique<HalfItemScorer>(items, s.feedback == Feedback::Explicit
                                                                ? Span<float>(s.item_bias, s.items)
                                                                : Span<float>());
        if (half->valid()) half_ = std::move(half);
    }
    if (s.feedback == Feedback::Implicit) {
        gram_ = items.transpose() * items;
        has_gram_ = true;
    }
}

size_t blob_bytes(const BlobSource &source, const BlobExtras &extras) {
    return layout(source, extras).h.total;
}

void write_blob(const BlobSource &s, const BlobExtras &e, void *out) {
    const Layout l = layout(s, e);
    const Header &h = l.h;
    char *base = static_cast<char *>(out);
    std::memset(base, 0, h.total);
    std::memcpy(base, &h, sizeof h);
    const uint64_t f = static_cast<uint64_t>(s.factors);
    std::memcpy(base + h.user_ids, s.user_ids, s.users * 8);
    std::memcpy(base + h.user_bias, s.user_bias, s.users * 4);
    std::memcpy(base + h.user_factors, s.user_factors, s.users * f * 4);
    std::memcpy(base + h.item_ids, s.item_ids, s.items * 8);
    std::memcpy(base + h.item_bias, s.item_bias, s.items * 4);
    std::memcpy(base + h.item_factors, s.item_factors, s.items * f * 4);
    std::memcpy(base + h.item_counts, s.item_counts, s.items * 4);
    if (const HalfItemScorer *half = e.half()) {
        std::memcpy(base + h.half, half->half_data(), half->half_count() * 2);
        std::memcpy(base + h.half_norms, half->norms_data(), half->padded_items() * 4);
        std::memcpy(base + h.half_bias, half->bias_data(), half->padded_items() * 4);
        std::memcpy(base + h.half_order, half->order_data(), half->padded_items() * 4);
        std::memcpy(base + h.half_rest_bias, half->rest_bias_data(), half->blocks() * 4);
    }
    if (const Eigen::MatrixXf *gram = e.gram()) std::memcpy(base + h.gram, gram->data(), f * f * 4);
    if (s.linear) {
        const LinearFilterArrays &a = s.linear->arrays();
        copy(base + h.linear_row_ids, a.row_ids);
        copy(base + h.linear_user_indptr, a.by_user.indptr);
        copy(base + h.linear_user_indices, a.by_user.indices);
        copy(base + h.linear_item_indptr, a.by_item.indptr);
        copy(base + h.linear_item_indices, a.by_item.indices);
        copy(base + h.linear_item_degree, a.inv_sqrt_item_degree);
        copy(base + h.linear_user_degree, a.inv_user_degree);
        copy(base + h.linear_ideal, a.ideal_weight);
        copy(base + h.linear_sharpen, a.sharpen_weight);
        if (h.linear_half != 0) {
            copy(base + h.linear_half, a.half_factors);
            copy(base + h.linear_half_slack, a.half_slack);
        }
    }
}

BlobSource source_of(const FactorModel &m) {
    BlobSource s;
    s.feedback = m.feedback;
    s.global_mean = m.global_mean;
    s.rating_min = m.rating_min;
    s.rating_max = m.rating_max;
    s.factors = m.factors();
    s.users = static_cast<int64_t>(m.user_ids.size());
    s.user_ids = m.user_ids.data();
    s.user_bias = m.user_bias.data();
    s.user_factors = m.user_factors.data();  // spare rows, if any, come after these
    s.items = static_cast<int64_t>(m.item_ids.size());
    s.item_ids = m.item_ids.data();
    s.item_bias = m.item_bias.data();
    s.item_factors = m.item_factors.data();
    s.item_counts = m.item_counts.data();
    s.linear = m.linear.get();
    return s;
}

FactorModel owned_copy(const ModelView &v) {
    FactorModel m;
    m.feedback = v.feedback;
    m.global_mean = v.global_mean;
    m.rating_min = v.rating_min;
    m.rating_max = v.rating_max;
    m.user_ids.assign(v.user_ids.begin(), v.user_ids.end());
    m.item_ids.assign(v.item_ids.begin(), v.item_ids.end());
    m.user_bias.assign(v.user_bias.begin(), v.user_bias.end());
    m.item_bias.assign(v.item_bias.begin(), v.item_bias.end());
    m.item_counts.assign(v.item_counts.begin(), v.item_counts.end());
    m.user_factors = v.user_factors;
    m.item_factors = v.item_factors;
    return m;
}

ModelView read_blob(const void *blob, BlobReaders &readers) {
    const Header &h = *static_cast<const Header *>(blob);
    ModelView v;
    v.feedback = h.feedback == 1 ? Feedback::Implicit : Feedback::Explicit;
    v.global_mean = h.global_mean;
    v.rating_min = h.rating_min;
    v.rating_max = h.rating_max;
    const size_t users = static_cast<size_t>(h.users), items = static_cast<size_t>(h.items);
    v.user_ids = Span<int64_t>(at<int64_t>(blob, h.user_ids), users);
    v.user_bias = Span<float>(at<float>(blob, h.user_bias), users);
    v.item_ids = Span<int64_t>(at<int64_t>(blob, h.item_ids), items);
    v.item_bias = Span<float>(at<float>(blob, h.item_bias), items);
    v.item_counts = Span<int32_t>(at<int32_t>(blob, h.item_counts), items);
    new (&v.user_factors)
        Eigen::Map<const FactorMatrix>(at<float>(blob, h.user_factors), h.users, h.factors);
    new (&v.item_factors)
        Eigen::Map<const FactorMatrix>(at<float>(blob, h.item_factors), h.items, h.factors);
    std::unique_ptr<HalfItemScorer> &half_storage = readers.half;
    half_storage.reset();
    if (h.half != 0) {
        half_storage = std::make_unique<HalfItemScorer>(
            h.half_items, h.factors, at<uint16_t>(blob, h.half), at<float>(blob, h.half_norms),
            at<float>(blob, h.half_bias), at<int32_t>(blob, h.half_order),
            at<float>(blob, h.half_rest_bias), h.half_max_norm);
        v.half_items = half_storage.get();
    }
    v.item_gram = h.gram != 0 ? at<float>(blob, h.gram) : nullptr;
    readers.linear.reset();
    if (h.linear_row_ids != 0) {
        LinearFilterArrays a;
        a.row_ids = span_at<int64_t>(blob, h.linear_row_ids, h.linear_rows);
        a.by_user = {span_at<int64_t>(blob, h.linear_user_indptr, h.linear_rows + 1),
                     span_at<int32_t>(blob, h.linear_user_indices, h.linear_nnz)};
        a.by_item = {span_at<int64_t>(blob, h.linear_item_indptr, h.items + 1),
                     span_at<int32_t>(blob, h.linear_item_indices, h.linear_nnz)};
        a.inv_sqrt_item_degree = span_at<float>(blob, h.linear_item_degree, h.items);
        a.inv_user_degree = span_at<float>(blob, h.linear_user_degree, h.linear_rows);
        a.ideal_weight = span_at<float>(blob, h.linear_ideal, h.factors);
        a.sharpen_weight = span_at<float>(blob, h.linear_sharpen, h.factors);
        if (h.linear_half != 0) {
            a.half_factors = span_at<uint16_t>(blob, h.linear_half, h.linear_half_count);
            a.half_slack = span_at<float>(blob, h.linear_half_slack, h.items);
        }
        readers.linear = std::make_unique<LinearFilter>(a);
        v.linear = readers.linear.get();
    }
    return v;
}

}  // namespace cfrec::core
