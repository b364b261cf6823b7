#!/usr/bin/env bash
# ALTER EXTENSION cfrec UPDATE from every older version keeps what users have:
# for each version V with an upgrade step in src/sql, a database created at V
# and filled (models, training log, impressions, reactions) is updated, then
#   - every model serves the same recommendations and predictions as before;
#   - no row of cfrec's tables is lost or changed;
#   - a session that had a model cached before the update keeps serving;
#   - a role with no grants still serves the models trained before 1.4.0
#     (per-model read grants came then: older models stay public), and is
#     still refused those trained later;
#   - a trainer and an application role set up as the README of 1.4.0 to
#     1.8.0 said (write grants on cfrec's tables) still train, serve and
#     post feedback through cfrec's functions, and hold no write grant on
#     cfrec's tables any more (from 1.9.0 cfrec writes them itself); so do
#     the roles of 1.9.0 on (a trainer in cfrec_trainer);
#   - its cfrec catalog equals a fresh install's, object by object;
#   - before the update, this library refuses to train a linear filter in a
#     database that has no table for it yet, with the hint to update.
# Needs PGHOST/PGPORT/PGUSER of a running cluster with cfrec installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" cfrec.control)
mapfile -t olds < <(for f in src/sql/cfrec--*--*.sql; do f=${f#src/sql/cfrec--}; echo "${f%%--*}"; done | sort -uV)
[ ${#olds[@]} -gt 0 ] || { echo "no upgrade steps in src/sql"; exit 1; }
work=$(mktemp -d)
fresh=cfrec_upgrade_fresh
dbs=("$fresh")
reader=cfrec_upgrade_reader
trainer=cfrec_upgrade_trainer
app=cfrec_upgrade_app
cleanup() {
    for d in "${dbs[@]}"; do psql -qX -d postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)"; done
    psql -qX -d postgres -c "DROP ROLE IF EXISTS $reader, $trainer, $app"
    rm -rf "$work"
}
trap cleanup EXIT
sql() { psql -qXAt -v ON_ERROR_STOP=1 "$@"; }

sql -d postgres -c "DROP ROLE IF EXISTS $reader, $trainer, $app" -c "CREATE ROLE $reader" \
    -c "CREATE ROLE $trainer" -c "CREATE ROLE $app"
sql -d postgres -c "DROP DATABASE IF EXISTS $fresh" -c "CREATE DATABASE $fresh"
sql -d $fresh -c "CREATE EXTENSION cfrec"
sql -d $fresh -f test/upgrade/extension_catalog.sql >"$work/fresh.catalog"
echo "fresh $current: $(grep -c ' | member$' "$work/fresh.catalog") member objects"

for v in "${olds[@]}"; do
    db="cfrec_upgrade_from_${v//./_}"
    dbs+=("$db")
    echo "== from $v"
    sql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    sql -d "$db" -c "CREATE EXTENSION cfrec VERSION '$v'"
    sql -d "$db" -f test/upgrade/fill.sql >/dev/null
    at_least() { [ "$(printf '%s\n' "$v" "$1" | sort -V | head -1)" = "$1" ]; }
    if at_least 1.8.0 && ! at_least 1.12.0; then  # this library, a database without the filter's table
        out=$(psql -qXAt -v VERBOSITY=verbose -d "$db" -c "SET client_min_messages = warning" \
              -c "SELECT users FROM cfrec_train('ratings', model => 'too_early', algorithm => 'linear_filter')" 2>&1) &&
            { echo "a linear filter was trained in a $v database: $out"; exit 1; }
        grep -q "ERROR:  0A000: algorithm 'linear_filter' needs cfrec 1.12.0 or later" <<<"$out" &&
            grep -q "HINT:  Run ALTER EXTENSION cfrec UPDATE." <<<"$out" ||
            { echo "the linear filter in a $v database was not refused as it should be: $out"; exit 1; }
        [ "$(sql -d "$db" -c "SELECT count(*) FROM cfrec_model WHERE name = 'too_early'")" = 0 ] ||
            { echo "the refused linear filter left a model behind"; exit 1; }
        echo "a linear filter in a $v database: refused (0A000), with the hint to update"
    fi
    with_grants=$(at_least 1.4.0 && echo yes || echo no)
    if at_least 1.9.0; then  # the README's trainer of 1.9.0 on: a member of cfrec_trainer
        sql -d "$db" <<SQL
GRANT SELECT ON ratings TO $trainer;
GRANT cfrec_trainer TO $trainer;
SET ROLE $trainer;
SET client_min_messages = warning;
SELECT users FROM cfrec_train('ratings', model => 'trainers', factors => 4, iterations => 2);
SELECT cfrec_grant('trainers', '$app');
SQL
    elif [ "$with_grants" = yes ]; then  # the README's trainer and app grants of 1.4.0 to 1.8.0
        sql -d "$db" <<SQL
GRANT SELECT ON ratings TO $trainer;
GRANT INSERT, UPDATE, DELETE ON cfrec_model, cfrec_user_factors, cfrec_item_factors TO $trainer;
GRANT INSERT ON cfrec_training_log TO $trainer;
GRANT USAGE ON SEQUENCE cfrec_model_version_seq, cfrec_training_log_id_seq TO $trainer;
GRANT INSERT ON cfrec_impressions TO $app;
GRANT INSERT, UPDATE ON cfrec_reactions TO $app;
SET ROLE $trainer;
SET client_min_messages = warning;
SELECT users FROM cfrec_train('ratings', model => 'trainers', factors => 4, iterations => 2);
SELECT cfrec_grant('trainers', '$app');
SQL
    fi
    sql -d "$db" -f test/upgrade/model_outputs.sql >"$work/$v.before"
    sql -d "$db" -f test/upgrade/keep_rows.sql
    [ "$(sql -d "$db" -c "SELECT count(DISTINCT outcome) FROM cfrec_training_log")" = 2 ] ||
        { echo "fill.sql did not log both outcomes"; exit 1; }

    # This session caches every model, the update runs in another session,
    # then this session serves again from its cache.
    cached=$(psql -qXAt -v ON_ERROR_STOP=0 -d "$db" 2>&1 <<SQL
SET cfrec.shared_cache_size = 0;  -- the private cache across the update
\o /dev/null
\i test/upgrade/model_outputs.sql
\o
-- This session's own entries: from 1.7.0 on cfrec_cache lists the server's
-- shared ones too (shared = true), which other sessions loaded.
SELECT 'cached ' || count(*) FROM cfrec_cache c WHERE NOT coalesce((to_jsonb(c) ->> 'shared')::boolean, false);
\! psql -qXAt -v ON_ERROR_STOP=1 -d "$db" -c "ALTER EXTENSION cfrec UPDATE"
\o $work/$v.cached
\i test/upgrade/model_outputs.sql
SQL
)
    echo "$cached"
    models=$(sql -d "$db" -c "SELECT count(*) FROM cfrec_model")
    grep -qx "cached $models" <<<"$cached" || { echo "the session did not cache the $models models"; exit 1; }
    if grep -q ERROR <<<"$cached"; then echo "the cached session failed after the update"; exit 1; fi
    diff "$work/$v.before" "$work/$v.cached" || { echo "the cached session serves other results"; exit 1; }

    got=$(sql -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'cfrec'")
    [ "$got" = "$current" ] || { echo "updated to $got, not $current"; exit 1; }
    sql -d "$db" -c "SET client_min_messages = warning" -f test/upgrade/model_outputs.sql >"$work/$v.after"
    diff "$work/$v.before" "$work/$v.after" || { echo "a new session serves other results"; exit 1; }
    echo "serving: $(wc -l <"$work/$v.after") result lines identical"
    if [ "$(printf '%s\n' "$v" 1.4.0 | sort -V | head -1)" != 1.4.0 ]; then  # before read grants
        sql -d "$db" -c "SET client_min_messages = warning" -c "SET ROLE $reader" \
            -f test/upgrade/model_outputs.sql >"$work/$v.reader"
        diff "$work/$v.before" "$work/$v.reader" || { echo "a role with no grants serves other results"; exit 1; }
        echo "serving to a role with no grants: the same"
    else  # models trained with read grants stay private to their owner's roles
        if sql -d "$db" -c "SET ROLE $reader" -f test/upgrade/model_outputs.sql >/dev/null 2>"$work/$v.denied" ||
            ! grep -q "permission denied for cfrec model" "$work/$v.denied"; then
            cat "$work/$v.denied"; echo "a role with no grants was not refused"; exit 1
        fi
        echo "serving to a role with no grants: refused, as before the update"
    fi
    lost=$(sql -d "$db" -f test/upgrade/check_rows.sql)
    echo "$lost"
    if grep -v '|lost|0$' <<<"$lost"; then echo "rows were lost or changed"; exit 1; fi
    if [ "$with_grants" = yes ]; then
        out=$(sql -d "$db" 2>&1 <<SQL
SET client_min_messages = warning;
SET ROLE $trainer;
SELECT 'retrained ' || users FROM cfrec_train('ratings', model => 'trainers', factors => 4, iterations => 2);
SELECT 'trained ' || users FROM cfrec_train('ratings', model => 'trainers_new', factors => 4, iterations => 2);
SELECT 'refreshed ' || cfrec_refresh_users('trainers', ARRAY[1, 2]);
SELECT cfrec_grant('trainers_new', '$app');
RESET ROLE;
SET ROLE $app;
CREATE TEMP TABLE shown AS SELECT * FROM cfrec_serve(1, 3, model => 'trainers_new');
SELECT 'feedback ' || count(cfrec_feedback(s.session_id, s.item_id)) FROM shown s;
SELECT 'served ' || count(*) FROM cfrec_recommend(1, 3, model => 'trainers');
RESET ROLE;
SELECT 'write grants left ' || count(*) FROM pg_class c, aclexplode(c.relacl) a
WHERE c.relnamespace = 'public'::regnamespace AND c.relname LIKE 'cfrec%'
  AND a.grantee IN ('$trainer'::regrole, '$app'::regrole) AND a.privilege_type <> 'SELECT';
SELECT 'trainer role ' || pg_has_role('$trainer', 'cfrec_trainer', 'MEMBER');
SQL
)
        echo "$out"
        expected="retrained 61
trained 61
refreshed 2
feedback 3
served 3
write grants left 0
trainer role true"
        [ "$(grep -v '^$' <<<"$out" | grep -v '^cfrec_grant\|^ *$')" = "$expected" ] ||
            { echo "the trainer or the application role of $v stopped working"; exit 1; }
        echo "trainer and application role of $v: work through cfrec's functions, hold no write grants"
    fi
    sql -d "$db" -f test/upgrade/extension_catalog.sql >"$work/$v.catalog"
    diff "$work/fresh.catalog" "$work/$v.catalog" ||
        { echo "the catalog after $v -> $current differs from a fresh $current (< fresh, > upgraded)"; exit 1; }
    echo "catalog: $(wc -l <"$work/$v.catalog") lines equal a fresh install"
done
