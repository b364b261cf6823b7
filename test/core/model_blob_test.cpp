// A model laid out as a blob (the server-wide cache's form) serves exactly
// what the model itself serves.
#include "core/model_blob.h"
#include "core/model_patch.h"

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
    std::unique_ptr<HalfItemScorer> half;
    const ModelView v = read_blob(blob.data(), half);
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

// A copy read back from a blob, patched, serves what the patched original does.
TEST(ModelBlob, OwnedCopyPatchesLikeTheOriginal) {
    FactorModel m = test::train_small(test::communities(), Feedback::Implicit, 5);
    const BlobSource s = source_of(m);
    const BlobExtras extras(s, true);
    std::vector<char> blob(blob_bytes(s, extras));
    write_blob(s, extras, blob.data());
    std::unique_ptr<HalfItemScorer> half;
    FactorModel copy = owned_copy(read_blob(blob.data(), half));
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
