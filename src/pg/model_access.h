// Who may do what with a model, decided as the caller, and the switch to the
// model's owner for reading its source. Writes to cfrec's tables come after
// these checks, as the catalog's owner (catalog_writer.h).
#pragma once

#include "pg/model_record.h"
#include "pg/postgres_headers.h"

namespace cfrec::pg {

// Raises 42501 unless the caller may read the model: has its owner's
// privileges, was granted it with cfrec_grant (directly, through a role, or
// as PUBLIC), or is a superuser. find_model checks it, so every function that
// serves, evaluates or clusters a model does, cached or not.
void require_model_read(const ModelRecord &record);

// Raises 42501 unless the caller has the privileges of the model's owner
// (is it, was granted its role, or is a superuser): what retraining,
// refreshing, updating, dropping and granting need.
void require_model_owner(const ModelRecord &record);

// The same before retraining: checks the owner of model `name` if it exists
// (needs SPI connected). False for a new model, which the caller will own.
bool require_owner_if_exists(const char *schema, const char *name, Oid *owner);

// A role as cfrec's catalog stores it: a regrole from 1.9.0 on; a name in
// older catalogs ('public' is PUBLIC, 0). False for a name that is no
// longer a role.
bool stored_role(Datum value, Oid type, Oid *role);

// A role's name for messages: its OID in brackets once it is dropped.
const char *role_name(Oid role);

// Reads of a model's source run as the model's owner, inside a
// security-restricted operation, as PostgreSQL runs REFRESH MATERIALIZED VIEW:
// code in the source (a view's functions) never runs with the privileges of
// whoever serves or updates the model. begin_as_owner switches (when the
// caller is not the owner) and gives the source's code the caller's own
// search_path (pinned_spi.h); end_as_owner undoes both. An ERROR in between
// is undone by the transaction's abort.
struct OwnerSwitch {
    bool switched;
    Oid saved_user;
    int saved_context;
    int nest_level;
};
OwnerSwitch begin_as_owner(const ModelRecord &record);
void end_as_owner(const OwnerSwitch &s);

}  // namespace cfrec::pg
