// SQL entry points of the feedback loop: cfrec_serve shows a user's
// recommendations and records them as a session; cfrec_feedback records a
// reaction to an item of a session. Both decide as the caller what the caller
// may do, then write cfrec_impressions and cfrec_reactions as the catalog's
// owner (catalog_writer.h): no role writes those tables by hand, so every
// session and reaction there came through these checks.
#include "pg/arguments.h"
#include "pg/arrays.h"
#include "pg/catalog_writer.h"
#include "pg/model_store.h"
#include "pg/pinned_spi.h"
#include "pg/recommend_user.h"
#include "pg/result_set.h"

extern "C" {
#include "utils/uuid.h"
}

using namespace cfrec;
using namespace cfrec::pg;

extern "C" {
PG_FUNCTION_INFO_V1(cfrec_serve);
PG_FUNCTION_INFO_V1(cfrec_feedback);
}

namespace {

void require_primary_for(const char *what, const char *hint) {
    if (RecoveryInProgress())
        ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
                        errmsg("%s, and this server is a standby", what), errhint("%s", hint)));
}

// Records the list shown in session `session` as served by the caller.
void record_impressions(const char *schema, const char *model, int64 user, Datum session,
                        const Ranked &ranked) {
    const Oid server = GetUserId();
    Oid types[6] = {UUIDOID, TEXTOID, INT8OID, OIDOID, INT8ARRAYOID, FLOAT4ARRAYOID};
    Datum values[6] = {session,
                       CStringGetTextDatum(model),
                       Int64GetDatum(user),
                       ObjectIdGetDatum(server),
                       PointerGetDatum(flat_array(INT8OID, 8, ranked.ids, ranked.count)),
                       PointerGetDatum(flat_array(FLOAT4OID, 4, ranked.scores, ranked.count))};
    const CatalogWrite as_catalog = begin_catalog_write(schema);
    if (SPI_execute_with_args(
            psprintf("INSERT INTO %s.cfrec_impressions (session_id, item_id, model, user_id, "
                     "rank, score, served_by) "
                     "SELECT $1, r.item, $2, $3, r.rank::pg_catalog.int4, r.score, "
                     "$4::pg_catalog.regrole "
                     "FROM ROWS FROM (pg_catalog.unnest($5), pg_catalog.unnest($6)) "
                     "WITH ORDINALITY AS r(item, score, rank)",
                     schema),
            6, types, values, nullptr, false, 0) != SPI_OK_INSERT)
        elog(ERROR, "cfrec: recording the session failed");
    end_catalog_write(as_catalog);
}

}  // namespace

// cfrec_recommend's list, plus a new session id under which it is recorded.
extern "C" Datum cfrec_serve(PG_FUNCTION_ARGS) {
    require_argument(fcinfo, 0, "user_id");
    const int64 user = PG_GETARG_INT64(0);
    const int32 k = int_argument(fcinfo, 1, "k", 1, kMaxK);
    const char *name = model_argument(fcinfo, 2);
    require_primary_for("cfrec_serve records the session it serves",
                        "Call cfrec_serve (and cfrec_feedback) on the primary; a standby can "
                        "serve cfrec_recommend, which records nothing.");
    const char *schema = extension_schema(fcinfo);
    ResultSet rs = begin_result_set(fcinfo);

    const PinnedSpi spi = connect_spi();
    const ModelRecord record = find_model(schema, name);
    const Ranked ranked =
        recommend_for_user(record, UserRequest{user, k, true, nullptr, 0, nullptr, 0});
    const Datum session = DirectFunctionCall1(gen_random_uuid, (Datum)0);
    record_impressions(schema, name, user, session, ranked);
    for (int j = 0; j < ranked.count; ++j) {
        Datum row[4] = {session, Int32GetDatum(j + 1), Int64GetDatum(ranked.ids[j]),
                        Float4GetDatum(ranked.scores[j])};
        bool nulls[4] = {false, false, false, false};
        tuplestore_putvalues(rs.store, rs.desc, row, nulls);
    }
    finish_spi(spi);
    return (Datum)0;
}

// Records a reaction to an item shown in a session; a later reaction to the
// same item replaces the earlier one. Only the role that served the session,
// or one with its privileges, may react to it.
extern "C" Datum cfrec_feedback(PG_FUNCTION_ARGS) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("session_id, item_id and liked must not be NULL")));
    const Datum session = PG_GETARG_DATUM(0);
    const int64 item = PG_GETARG_INT64(1);
    const bool liked = PG_GETARG_BOOL(2);
    require_primary_for("cfrec_feedback records a reaction",
                        "Call cfrec_feedback on the primary, where cfrec_serve recorded the "
                        "session.");
    const char *schema = extension_schema(fcinfo);
    const char *session_text = DatumGetCString(DirectFunctionCall1(uuid_out, session));

    const PinnedSpi spi = connect_spi();
    // Looked up as the caller: row-level security shows the sessions it
    // served and those of models it may read, and no others.
    Oid types[3] = {UUIDOID, INT8OID, BOOLOID};
    Datum values[3] = {session, Int64GetDatum(item), BoolGetDatum(liked)};
    if (SPI_execute_with_args(psprintf("SELECT i.served_by::pg_catalog.oid FROM "
                                       "%s.cfrec_impressions i WHERE i.session_id = $1 AND "
                                       "i.item_id = $2",
                                       schema),
                              2, types, values, nullptr, true, 1) != SPI_OK_SELECT)
        elog(ERROR, "cfrec: reading the session failed");
    if (SPI_processed == 0) {
        if (SPI_execute_with_args(
                psprintf("SELECT FROM %s.cfrec_impressions i WHERE i.session_id = $1", schema), 1,
                types, values, nullptr, true, 1) != SPI_OK_SELECT)
            elog(ERROR, "cfrec: reading the session failed");
        if (SPI_processed == 0)
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                            errmsg("unknown session %s", session_text),
                            errhint("Pass the session_id that cfrec_serve returned with the "
                                    "recommendations.")));
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("item %lld was not shown in session %s", static_cast<long long>(item),
                        session_text),
                 errhint("Feedback is recorded only for the items cfrec_serve returned in that "
                         "session.")));
    }
    bool no_server;
    const Oid server = DatumGetObjectId(
        SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &no_server));
    // Sessions served before cfrec 1.3.0 have no server: anyone may react, as then.
    if (!no_server && !has_privs_of_role(GetUserId(), server))
        ereport(ERROR,
                (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                 errmsg("the session was served by role %s, not by one whose privileges you have",
                        role_name(server)),
                 errhint("Post feedback from the role that called cfrec_serve, or one it was "
                         "granted to.")));
    const CatalogWrite as_catalog = begin_catalog_write(schema);
    if (SPI_execute_with_args(
            psprintf("INSERT INTO %s.cfrec_reactions AS r (session_id, item_id, liked) "
                     "VALUES ($1, $2, $3) ON CONFLICT ON CONSTRAINT cfrec_reactions_pkey "
                     "DO UPDATE SET liked = EXCLUDED.liked, reacted_at = EXCLUDED.reacted_at",
                     schema),
            3, types, values, nullptr, false, 0) != SPI_OK_INSERT)
        elog(ERROR, "cfrec: recording the reaction failed");
    end_catalog_write(as_catalog);
    finish_spi(spi);
    PG_RETURN_VOID();
}
