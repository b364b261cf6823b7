#!/usr/bin/env bash
# Trainings and refreshes of a model take turns through a row lock on its
# catalog entry, which only roles that may change models can take: a role
# with no grants holding the old advisory lock, or trying the row lock, blocks
# nothing (issue 13, M3).
# Needs PGHOST/PGPORT/PGUSER of a running cluster with cfrec installed.
set -euo pipefail
db=cfrec_lock_test
role=regress_cfrec_nobody
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" \
    -c "CREATE DATABASE $db" -c "CREATE ROLE $role"
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS $role"' EXIT
q() { psql -qXAt -d $db -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" "$@"; }
q -c "CREATE EXTENSION cfrec" \
  -c "CREATE TABLE r AS SELECT u AS user_id, i AS item_id, 1 + (u * i) % 5 AS rating
      FROM generate_series(1, 40) u, generate_series(1, 30) i WHERE (u + 2 * i) % 3 <> 0" \
  -c "CREATE INDEX ON r (user_id)" \
  -c "SELECT users FROM cfrec_train('r', model => 'm', factors => 4, iterations => 2)" >/dev/null

echo "== a role with no grants cannot take the model's row lock"
out=$(psql -qXAt -d $db -c "SET ROLE $role" -c "SELECT FROM cfrec_model WHERE name = 'm' FOR UPDATE" 2>&1 || true)
echo "$out"
grep -q 'permission denied for table cfrec_model' <<<"$out"

echo "== while it holds the advisory lock 0.1.0 used, trainings and refreshes go on"
psql -qX -d $db -c "SET ROLE $role" -c "BEGIN" \
    -c "SELECT pg_advisory_xact_lock(1667658341, hashtext('m'))" -c "SELECT pg_sleep(6)" \
    -c "COMMIT" >/dev/null &
holder=$!
sleep 1
start=$(date +%s.%N)
q -c "SET statement_timeout = '4s'" \
  -c "SELECT users FROM cfrec_train('r', model => 'm', factors => 4, iterations => 2)" \
  -c "SELECT cfrec_refresh_users('m', ARRAY[1, 2])" >/dev/null
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
echo "training and refresh took $elapsed s"
[ "$(echo "$elapsed < 3" | bc)" = 1 ]
