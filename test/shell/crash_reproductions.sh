#!/usr/bin/env bash
# Inputs that once crashed the backend (issue 13, C1 and C2) now give a clear
# error; the server log shows no backend "terminated by signal".
# Needs PGHOST/PGPORT/PGUSER of a running cluster made by scripts/pg-private
# (its log is $PGHOST/server.log).
set -euo pipefail
db=cfrec_crash_test
log=$PGHOST/server.log
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
start=$(wc -c <"$log")
q() { psql -qXAt -d $db -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" "$@"; }
fails_with() {  # fails_with SQLSTATE SQL: the statement fails with that code
    local out
    out=$(psql -qXAt -d $db -v VERBOSITY=verbose -c "$2" 2>&1) && { echo "FAIL: no error from: $2"; exit 1; }
    grep -q "ERROR:  $1" <<<"$out" || { echo "FAIL: expected $1 from: $2"$'\n'"$out"; exit 1; }
    echo "$1 as expected: $(grep -m1 ERROR <<<"$out")"
}
q -c "CREATE EXTENSION cfrec" \
  -c "CREATE TABLE r AS SELECT u AS user_id, i AS item_id, 1 + (u * i) % 5 AS rating
      FROM generate_series(1, 40) u, generate_series(1, 30) i WHERE (u + 2 * i) % 3 <> 0" \
  -c "SELECT users FROM cfrec_train('r', model => 'm', factors => 8, iterations => 2)" >/dev/null

echo "== C1: a doctored catalog count or width is an error, not an allocation"
for edit in "users = 4611686018427387904" "items = 4611686018427387904" "users = -1" \
            "factors = 100000" "users = 41" "items = 5" "algorithm = 'bogus'"; do
    q -c "UPDATE cfrec_model SET $edit, version = nextval('cfrec_model_version_seq') WHERE name = 'm'"
    fails_with XX001 "SELECT count(*) FROM cfrec_recommend(1, 3, 'm', exclude_seen => false)"
    fails_with XX001 "SELECT cfrec_predict(1, 1, 'm')"
    q -c "SELECT users FROM cfrec_train('r', model => 'm', factors => 8, iterations => 2)" >/dev/null
done

echo "== a cached model caught up from rows of another width (the catalog edited by hand)"
# Only the tables' owner can edit them since 1.9.0; a superuser doing so by
# hand must still get an error, never a crash or another model's bytes. The
# session caches the model at 8 factors; the catalog then says 1 factor and
# a newer version, and the user rows are cut to 1 factor (or, the catalog
# left at 8, only the rows are cut): the catch-up must refuse both.
for catalog_edit in "factors = 1, " ""; do
    q -c "SELECT users FROM cfrec_train('r', model => 'w', factors => 8, iterations => 2)" >/dev/null
    for shared in 0 1024; do
        out=$(psql -qX -d $db -v VERBOSITY=verbose 2>&1 <<SQL || true
SET cfrec.shared_cache_size = $shared;
SELECT count(*) FROM cfrec_recommend(1, 3, 'w', exclude_seen => false);
BEGIN;
UPDATE cfrec_model SET ${catalog_edit}version = nextval('cfrec_model_version_seq') WHERE name = 'w';
UPDATE cfrec_user_factors f SET factors = f.factors[1:1], version = m.version
FROM cfrec_model m WHERE f.model = 'w' AND m.name = 'w' AND f.id <= 20;
SELECT count(*) FROM cfrec_recommend(1, 3, 'w', exclude_seen => false);
ROLLBACK;
SQL
)
        grep -q "ERROR:  XX001" <<<"$out" || { echo "FAIL: no XX001 from the doctored catch-up"$'\n'"$out"; exit 1; }
        echo "XX001 as expected (${catalog_edit:-rows only, }shared_cache_size $shared): $(grep -m1 'ERROR:' <<<"$out")"
    done
done

echo "== C2: the extension dropped under a running query"
out=$(psql -qX -d $db 2>&1 <<'SQL' || true
BEGIN;
DECLARE c CURSOR FOR SELECT cfrec_predict(g, 1, 'm') FROM generate_series(1, 10) g;
FETCH 1 FROM c;
DROP EXTENSION cfrec;
FETCH 1 FROM c;
ROLLBACK;
SQL
)
echo "$out"
grep -q 'ERROR:  the cfrec extension was dropped while this query was running' <<<"$out"

sleep 0.5  # let the server log catch up
if tail -c +"$((start + 1))" "$log" | grep -E 'terminated by signal|server process .* was terminated'; then
    echo "FAIL: a backend crashed"; exit 1
fi
echo "no backend crashed"
