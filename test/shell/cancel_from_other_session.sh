#!/usr/bin/env bash
# Ctrl-C's path: pg_cancel_backend from another session stops a long
# training within about a second, the backend survives, the old model stays.
# Needs PGHOST/PGPORT/PGUSER of a running cluster with cfrec installed.
set -euo pipefail
db=cfrec_cancel_test
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
q() { psql -qXAt -v ON_ERROR_STOP=1 -d $db "$@"; }
q -c "CREATE EXTENSION cfrec" \
  -c "CREATE TABLE r AS SELECT u AS user_id, (u * 37 + j * 101) % 3000 AS item_id, 1 + (u + j) % 5 AS rating
      FROM generate_series(1, 2000) u, generate_series(1, 50) j" \
  -c "SET client_min_messages = warning" \
  -c "SELECT users FROM cfrec_train('r', factors => 2, iterations => 1)" >/dev/null
before=$(q -c "SELECT version FROM cfrec_models")

out=$(mktemp)
psql -qXAt -d $db -c "SET application_name = 'cfrec_long'" -c "SET client_min_messages = warning" \
    -c "SELECT cfrec_train('r', factors => 128, iterations => 1000)" >"$out" 2>&1 &
bg=$!
sleep 1.5
q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'cfrec_long'" | grep -q t
start=$(date +%s.%N)
wait $bg || true
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
cat "$out"
grep -q "canceling statement due to user request" "$out"
echo "stopped ${elapsed}s after the cancel request"
[ "$(echo "$elapsed < 2.0" | bc)" = 1 ]
[ "$(q -c "SELECT version FROM cfrec_models")" = "$before" ]
[ "$(q -c "SELECT count(*) FROM cfrec_recommend(1, 3)")" = 3 ]
echo "previous model intact"
