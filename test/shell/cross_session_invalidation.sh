#!/usr/bin/env bash
# A retrain or drop committed in another session is seen by this session's
# next call, although this session has the model cached.
# Needs PGHOST/PGPORT/PGUSER of a running cluster with cfrec installed.
set -euo pipefail
db=cfrec_invalidation_test
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
other() { psql -qXAt -v ON_ERROR_STOP=1 -d $db -c "SET client_min_messages = warning" -c "$1" >/dev/null; }
other "CREATE EXTENSION cfrec"
other "CREATE TABLE r AS SELECT u AS user_id, i AS item_id, 1 + (u * i) % 5 AS rating
       FROM generate_series(1, 30) u, generate_series(1, 20) i WHERE (u + i) % 3 <> 0"
other "SELECT users FROM cfrec_train('r', factors => 4, iterations => 3)"
out=$(psql -qXAt -v ON_ERROR_STOP=0 -d $db 2>&1 <<SQL
SELECT cfrec_predict(1, 1) AS before \gset
SELECT 'cached ' || count(*) FROM cfrec_cache;
\! psql -qXAt -d $db -c "SET client_min_messages = warning" -c "SELECT users FROM cfrec_train('r', factors => 4, iterations => 3, seed => 7)" >/dev/null
SELECT 'retrain seen ' || (cfrec_predict(1, 1) <> :before::real);
\! psql -qXAt -d $db -c "SELECT cfrec_drop_model('default')" >/dev/null
SELECT cfrec_predict(1, 1);
SQL
)
echo "$out"
grep -qx "cached 1" <<<"$out"
grep -qx "retrain seen true" <<<"$out"
grep -q 'cfrec model "default" does not exist' <<<"$out"
