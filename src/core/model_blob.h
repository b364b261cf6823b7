// A model laid out in one block of memory that any process can map: what the
// server-wide cache in shared memory keeps. Offsets, never pointers, so each
// process reads it wherever its mapping lands.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/factor_model.h"
#include "core/half_scorer.h"

namespace cfrec::core {

// The blob's layout version. Processes that share blobs must agree on it:
// the shared cache's registry is named after it, so a server that loads a
// newer build (PostgreSQL 17+, no preload) never reads an older build's blobs.
constexpr int kBlobLayout = 2;

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
};

// What serving needs beyond the rows, computed once by the process that
// lays the blob out: the half-precision item copy (when the build and the
// values allow it) and, for implicit models, item_factors^T item_factors.
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
// half-precision copy or Gram matrix): for patching with apply_changes.
FactorModel owned_copy(const ModelView &view);

// Reading a blob back. `half_storage` receives the half-precision scorer
// the view points at (it must outlive the view); it stays empty without one.
ModelView read_blob(const void *blob, std::unique_ptr<HalfItemScorer> &half_storage);

}  // namespace cfrec::core
