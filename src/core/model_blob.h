// A model laid out in one block of memory that any process can map: what the
// server-wide cache in shared memory keeps. Offsets, never pointers, so each
// process reads it wherever its mapping lands.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/factor_model.h"
#include "core/half_scorer.h"
#include "core/linear_filter.h"

namespace cfrec::core {

// The blob's layout version. Processes that share blobs must agree on it:
// the shared cache's registry is named after it, so a server that loads a
// newer build (PostgreSQL 17+, no preload) never reads an older build's blobs.
constexpr int kBlobLayout = 4;

// A model's arrays as read from its tables: rows ascending by id, factors
// row-major (count x factors).
struct BlobSource {
    Feedback feedback = Feedback::Explicit;
    double global_mean = 0.0;
    float rating_min = 0.0f;
    float rating_max = 0.0f;
    int factors = 0;
    int64_t users = 0;
    const int64_t *user_ids = nullptr;
    const float *user_bias = nullptr;
    const float *user_factors = nullptr;
    int64_t items = 0;
    const int64_t *item_ids = nullptr;
    const float *item_bias = nullptr;
    const float *item_factors = nullptr;
    const int32_t *item_counts = nullptr;
    // A linear filter's operator: its arrays go into the blob too, so every
    // process serves the filter from the one copy.
    const LinearFilter *linear = nullptr;
};

// What serving needs beyond the rows, computed once by the process that
// lays the blob out: the half-precision item copy (when the build and the
// values allow it) and, for implicit models, item_factors^T item_factors.
// A linear filter needs neither (it scores through its operator and folds
// no one in).
class BlobExtras {
  public:
    BlobExtras(const BlobSource &source, bool half_precision);
    const HalfItemScorer *half() const { return half_.get(); }
    const Eigen::MatrixXf *gram() const { return has_gram_ ? &gram_ : nullptr; }

  private:
    std::unique_ptr<HalfItemScorer> half_;
    Eigen::MatrixXf gram_;
    bool has_gram_ = false;
};

// Bytes the blob of `source` takes, and writing it into `out` (that many).
size_t blob_bytes(const BlobSource &source, const BlobExtras &extras);
void write_blob(const BlobSource &source, const BlobExtras &extras, void *out);

// The arrays of a model of this process, as a blob's source (valid while it lives).
BlobSource source_of(const FactorModel &model);

// A model of this process holding a copy of what `view` reads (no
// half-precision copy, Gram matrix or linear filter): for patching with
// apply_changes, which no linear filter gets.
FactorModel owned_copy(const ModelView &view);

// The objects a view read from a blob points at, besides the blob itself:
// they must outlive the view. Each stays empty when the blob has no such part.
struct BlobReaders {
    std::unique_ptr<HalfItemScorer> half;
    std::unique_ptr<LinearFilter> linear;  // reads the blob's operator in place
};

// Reading a blob back: a view of its arrays, in place (nothing is copied).
ModelView read_blob(const void *blob, BlobReaders &readers);

}  // namespace cfrec::core
