// Refreshing one side of a model from the current rows of its source.
#pragma once

#include "core/refresh.h"
#include "pg/postgres_headers.h"

namespace cfrec::pg {

// Recomputes the given users or items (every one in the source when
// `requested` is NULL) with the other side fixed; new ones join the model,
// ones without usable rows leave it. Needs SPI connected; takes the model's
// lock. Returns how many were refreshed.
int64 refresh_side(const char *schema, const char *name, core::Side side, const int64 *requested,
                   int n_requested);

}  // namespace cfrec::pg
