// A user's top k as cfrec_recommend returns it (serve.cpp), shared with
// cfrec_serve, which also records the list it shows (feedback.cpp).
#pragma once

#include "pg/model_record.h"
#include "pg/postgres_headers.h"

namespace cfrec::pg {

// The largest k any serving function accepts.
constexpr int32 kMaxK = 1000000;

// Ranked (item id, score) pairs, best first, palloc'd in the current context.
struct Ranked {
    int64 *ids;
    float *scores;
    int count;
};

struct UserRequest {
    int64 user;
    int32 k;
    bool exclude_seen;
    const int64 *include;  // NULL: every item
    int n_include;
    const int64 *exclude;
    int n_exclude;
};

// The items `record` (already found readable) ranks highest for the user,
// the most popular for a user it does not know. Needs SPI connected.
Ranked recommend_for_user(const ModelRecord &record, const UserRequest &request);

}  // namespace cfrec::pg
