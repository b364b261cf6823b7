// Every statement cfrec builds runs with search_path pinned to
// pg_catalog, pg_temp: an operator, function or type named in it resolves to
// PostgreSQL's own, never to an object some user placed earlier on the
// caller's search_path. cfrec's own objects are always schema-qualified.
// Reads of a model's source, the owner's code, are the one exception (below).
//
// connect_spi() is SPI_connect() plus the pin; finish_spi() undoes both. An
// ERROR in between is cleaned up by the (sub)transaction's abort, which
// unwinds the setting with its nesting level.
#pragma once

#include "pg/postgres_headers.h"

namespace cfrec::pg {

struct PinnedSpi {
    int nest_level;
};

PinnedSpi connect_spi();
void finish_spi(const PinnedSpi &spi);

// The pin alone, for code that runs inside an SPI connection it did not make.
int pin_search_path();
void unpin_search_path(int nest_level);

// Inside a pin, at a GUC nesting level of the caller's own: the search_path
// the caller had before cfrec pinned it. Only for reading a model's source
// as its owner (model_access.h), so that the owner's code in a view behaves
// as it did when the owner trained; cfrec's statements there name every
// operator, function and type with its schema.
void restore_caller_search_path();

}  // namespace cfrec::pg
