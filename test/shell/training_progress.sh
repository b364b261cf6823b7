#!/usr/bin/env bash
# cfrec_train's progress NOTICEs: every iteration up to 50 iterations; past
# that about 25 of them (the first, the last and every iterations/25-th),
# while cfrec_training_log keeps every iteration.
# Needs PGHOST/PGPORT/PGUSER of a running cluster with cfrec installed.
set -euo pipefail
db=cfrec_progress_test
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
q() { psql -qXAt -d $db -v ON_ERROR_STOP=1 "$@"; }
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION cfrec" \
  -c "CREATE TABLE r AS SELECT u AS user_id, (u * 7 + j * 13) % 90 AS item_id, 1 + (u + j) % 5 AS rating
      FROM generate_series(1, 120) u, generate_series(1, 12) j" >/dev/null
fail() { echo "FAIL: $*"; exit 1; }
notices() {  # notices ITERATIONS: the iteration numbers the NOTICEs name
    q -c "SELECT users FROM cfrec_train('r', model => 'p$1', algorithm => 'bpmf', factors => 2, iterations => $1)" 2>&1 |
        sed -n 's/^NOTICE:  cfrec: iteration \([0-9]*\)\/.*/\1/p' | tr '\n' ' '
}
logged() { q -c "SELECT jsonb_array_length(iterations) FROM cfrec_training_log WHERE model = 'p$1'"; }
got=$(notices 40)
[ "$got" = "$(seq -s ' ' 1 40) " ] || fail "40 iterations reported as: $got"
got=$(notices 60)
[ "$got" = "1 $(seq -s ' ' 2 2 60) " ] || fail "60 iterations reported as: $got"
got=$(notices 260)
[ "$got" = "1 $(seq -s ' ' 10 10 260) " ] || fail "260 iterations reported as: $got"
[ "$(logged 60)" = 60 ] && [ "$(logged 260)" = 260 ] || fail "the training log lost iterations"
echo "progress: 40 NOTICEs for 40 iterations, 31 for 60, 27 for 260; the log keeps all"
