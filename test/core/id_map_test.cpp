// IdMap against a plain map: first-seen indices for dense ids (its table),
// sparse and negative ids (its hash) and ids that move from the hash into
// the table as it widens.
#include "core/id_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <unordered_map>

namespace cfrec {
namespace {

TEST(IdMap, GivesFirstSeenIndicesForEveryKindOfId) {
    std::mt19937_64 random(11);
    std::vector<int64_t> stream;
    // Ids the table will come to cover seen first far ahead of it (so they
    // start in the hash), then dense ids, sparse ones, negatives and repeats.
    for (int64_t id : {9000, 20000, 5000, 70000}) stream.push_back(id);
    for (int64_t id = 1; id <= 30000; ++id) stream.push_back(id);
    for (int k = 0; k < 2000; ++k) {
        stream.push_back(static_cast<int64_t>(random() >> 1));  // far beyond any table
        stream.push_back(-static_cast<int64_t>(random() % 1000) - 1);
        stream.push_back(static_cast<int64_t>(random() % 200000));
    }
    stream.push_back(INT64_MAX);
    stream.push_back(INT64_MIN);
    std::shuffle(stream.begin() + 4, stream.end(), random);

    core::IdMap map;
    std::unordered_map<int64_t, int32_t> expected;
    std::vector<int64_t> order;
    for (int64_t id : stream) {
        const auto [it, inserted] = expected.emplace(id, static_cast<int32_t>(order.size()));
        if (inserted) order.push_back(id);
        ASSERT_EQ(map.index_of(id), it->second) << "id " << id;
    }
    EXPECT_EQ(map.ids(), order);
    for (const auto &[id, index] : expected) EXPECT_EQ(map.find(id), index) << "id " << id;
    for (int64_t unseen : {int64_t{0}, int64_t{-5000}, int64_t{1} << 40, int64_t{250000}}) {
        if (!expected.count(unseen)) {
            EXPECT_EQ(map.find(unseen), -1) << "id " << unseen;
        }
    }
}

}  // namespace
}  // namespace cfrec
