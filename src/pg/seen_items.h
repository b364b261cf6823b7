// What a user has in a model's source now, for cfrec_recommend's
// exclude_seen: items added since training are excluded too.
#pragma once

#include "pg/model_store.h"
#include "pg/postgres_headers.h"

namespace cfrec::pg {

struct SeenItems {
    int64 *ids;  // palloc'd; may repeat an item
    size_t count;
    size_t capacity;
};

// Reads them as the model's owner. A plain table without row-level security
// that the owner may read, with a btree index leading with the user column,
// is read straight from that index, so a session's first call plans no
// query; any other source runs a query. Warns once per backend and source
// when the user column has no index at all.
SeenItems read_seen(const ModelRecord &r, int64 user);

}  // namespace cfrec::pg
