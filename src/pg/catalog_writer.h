// cfrec's tables are cfrec's catalog, written only by cfrec's code, as
// PostgreSQL's catalogs are written only by PostgreSQL: no role but their
// owner holds INSERT, UPDATE or DELETE on them, so no row there was put by
// hand. An entry point first decides, as its caller, whether the caller may
// do what it asks (model_access.h); only then does it write, as the role that
// owns the tables, inside a security-restricted operation and under the
// pinned search_path (pinned_spi.h). Nothing a user defined runs as that role
// meanwhile: cfrec's statements touch only cfrec's tables, which no user may
// give triggers, rules or policies.
#pragma once

#include "pg/postgres_headers.h"

namespace cfrec::pg {

struct CatalogWrite {
    Oid saved_user;
    int saved_context;
    int nest_level;
};

// Switches to the owner of the cfrec tables in `schema` (quoted). Every
// check of the caller must come before; an ERROR before end_catalog_write is
// undone by the transaction's abort.
CatalogWrite begin_catalog_write(const char *schema);
void end_catalog_write(const CatalogWrite &w);

// Raises 25006 on a standby, where cfrec's tables cannot be written: before
// any work that would only fail at the end.
void require_primary();

// Raises 42501 unless the caller may train and import models: a superuser,
// a member of the predefined role cfrec_trainer, or (a database whose cfrec
// is older than 1.9.0) a role granted writes on cfrec's tables. Raises 25006
// on a standby. `namespace_oid` is the extension's schema.
void require_trainer(Oid namespace_oid);

}  // namespace cfrec::pg
