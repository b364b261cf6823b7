#include "pg/model_access.h"

#include "pg/model_store.h"
#include "pg/pinned_spi.h"

namespace cfrec::pg {

bool stored_role(Datum value, Oid type, Oid *role) {
    if (type != NAMEOID) {
        *role = DatumGetObjectId(value);
        return true;
    }
    const char *name = NameStr(*DatumGetName(value));
    *role = strcmp(name, "public") == 0 ? ACL_ID_PUBLIC : get_role_oid(name, true);
    return *role == ACL_ID_PUBLIC ? strcmp(name, "public") == 0 : true;
}

const char *role_name(Oid role) {
    const char *name = OidIsValid(role) ? GetUserNameFromId(role, true) : nullptr;
    return name ? name : psprintf("(dropped role %u)", role);
}

void require_model_owner(const ModelRecord &r) {
    if (!r.owner_known) return;  // a catalog from before 1.1.0: no owners yet
    // A dropped owner's models are a superuser's to change (has_privs_of_role
    // lets superusers through, and no other role has the privileges of OID 0).
    if (has_privs_of_role(GetUserId(), r.owner)) return;
    const char *owner = OidIsValid(r.owner) ? GetUserNameFromId(r.owner, true) : nullptr;
    if (owner == nullptr)
        ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                        errmsg("the role that owned cfrec model \"%s\" was dropped", r.name),
                        errhint("Only a superuser may change, retrain or drop the model now.")));
    ereport(ERROR,
            (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
             errmsg("must have the privileges of role \"%s\", the owner of cfrec model \"%s\"",
                    owner, r.name),
             errhint("The owner can share its models: GRANT %s TO your_role.",
                     quote_identifier(owner))));
}

bool require_owner_if_exists(const char *schema, const char *name, Oid *owner) {
    *owner = InvalidOid;
    if (!catalog_has_owner(schema)) return false;
    Oid types[1] = {TEXTOID};
    Datum values[1] = {CStringGetTextDatum(name)};
    if (SPI_execute_with_args(psprintf("SELECT owner FROM %s.cfrec_model WHERE name = $1", schema),
                              1, types, values, nullptr, true, 1) != SPI_OK_SELECT)
        elog(ERROR, "cfrec: reading the owner of cfrec model \"%s\" failed", name);
    if (SPI_processed == 0) return false;  // a new model: the caller will own it
    bool isnull;
    ModelRecord r{};
    r.name = name;
    r.owner_known = true;
    if (!stored_role(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull),
                     SPI_gettypeid(SPI_tuptable->tupdesc, 1), &r.owner))
        r.owner = InvalidOid;  // dropped: only superusers pass
    require_model_owner(r);
    *owner = r.owner;
    return true;
}

void require_model_read(const ModelRecord &r) {
    if (!r.readers_known || !r.owner_known) return;  // a catalog from before 1.4.0
    if (has_privs_of_role(GetUserId(), r.owner)) return;  // superusers too
    for (int i = 0; i < r.reader_count; ++i)
        if (r.readers[i] == ACL_ID_PUBLIC || has_privs_of_role(GetUserId(), r.readers[i])) return;
    const char *owner = OidIsValid(r.owner) ? GetUserNameFromId(r.owner, true) : nullptr;
    ereport(ERROR,
            (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
             errmsg("permission denied for cfrec model \"%s\"", r.name),
             owner ? errhint("Its owner, role \"%s\", can share it: SELECT cfrec_grant(%s, %s).",
                             owner, quote_literal_cstr(r.name),
                             quote_literal_cstr(GetUserNameFromId(GetUserId(), false)))
                   : errhint("The role that owned it was dropped; a superuser may share or drop "
                             "it.")));
}

OwnerSwitch begin_as_owner(const ModelRecord &r) {
    OwnerSwitch s{false, InvalidOid, 0, 0};
    GetUserIdAndSecContext(&s.saved_user, &s.saved_context);
    if (r.owner_known && r.owner != s.saved_user) {
        if (!OidIsValid(r.owner) || GetUserNameFromId(r.owner, true) == nullptr)
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                            errmsg("the owner of cfrec model \"%s\" no longer exists", r.name),
                            errhint("Its source is read as its owner. A superuser can retrain "
                                    "the model, or drop it.")));
        SetUserIdAndSecContext(r.owner, s.saved_context | SECURITY_LOCAL_USERID_CHANGE |
                                            SECURITY_RESTRICTED_OPERATION);
        s.switched = true;
    }
    s.nest_level = NewGUCNestLevel();  // settings the source's code makes end with the read
    restore_caller_search_path();
    return s;
}

void end_as_owner(const OwnerSwitch &s) {
    AtEOXact_GUC(false, s.nest_level);
    if (s.switched) SetUserIdAndSecContext(s.saved_user, s.saved_context);
}

}  // namespace cfrec::pg
