// A model laid out as a blob (the server-wide cache's form) serves exactly
// what the model itself serves.
#include "core/model_blob.h"

#include <gtest/gtest.h>

#include <vector>

#include "small_models.h"

namespace cfrec::core {
namespace {

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
    s.user_factors = m.user_factors.data();
    s.items = static_cast<int64_t>(m.item_ids.size());
    s.item_ids = m.item_ids.data();
    s.item_bias = m.item_bias.data();
    s.item_factors = m.item_factors.data();
    s.item_counts = m.item_counts.data();
    return s;
}

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

}  // namespace
}  // namespace cfrec::core
