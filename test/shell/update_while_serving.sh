#!/usr/bin/env bash
# cfrec_update running while other sessions call cfrec_recommend never makes
# them fail: two pgbench clients serve while another session keeps inserting
# rows and updating the model.
# Needs PGHOST/PGPORT/PGUSER of a running cluster with cfrec installed.
set -euo pipefail
db=cfrec_concurrency_test
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
work=$(mktemp -d)
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$work"' EXIT
q() { psql -qXAt -v ON_ERROR_STOP=1 -d $db -c "SET client_min_messages = warning" "$@"; }
q -c "CREATE EXTENSION cfrec" \
  -c "CREATE TABLE stream (user_id int, item_id int, rating real, seq bigserial)" \
  -c "INSERT INTO stream (user_id, item_id, rating)
      SELECT u, i, 1 + (u * i) % 5 FROM generate_series(1, 200) u, generate_series(1, 100) i
      WHERE (u + 3 * i) % 4 = 0" \
  -c "CREATE INDEX ON stream (user_id, item_id)" \
  -c "SELECT users FROM cfrec_train('stream', model => 'live', factors => 8, iterations => 5,
                                    watermark_column => 'seq')" >/dev/null
printf '\\set u random(1, 260)\nSELECT count(*) FROM cfrec_recommend(:u, 10, model => '"'live'"');\n' \
    >"$work/serve.sql"
"$(pg_config --bindir)/pgbench" -n -c 2 -j 2 -T 8 -d $db -f "$work/serve.sql" >"$work/pgbench.log" 2>&1 &
bench=$!
for round in $(seq 1 10); do
    q -c "INSERT INTO stream (user_id, item_id, rating)
          SELECT 200 + $round * 5 + g % 5, 1 + (g * 7) % 100, 1 + g % 5 FROM generate_series(1, 40) g" \
      -c "SELECT refreshed_users FROM cfrec_update('live')" >/dev/null
    sleep 0.5
done
wait $bench
cat "$work/pgbench.log"
grep -q "number of failed transactions: 0 " "$work/pgbench.log"
processed=$(grep -oP 'number of transactions actually processed: \K[0-9]+' "$work/pgbench.log")
[ "$processed" -gt 100 ]
updates=$(q -c "SELECT updates FROM cfrec_models WHERE model = 'live'")
echo "served $processed calls while the model was updated $updates times"
[ "$updates" = 10 ]
