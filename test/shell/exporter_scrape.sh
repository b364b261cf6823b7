#!/usr/bin/env bash
# docker/postgres_exporter/cfrec-queries.yaml, for real: Debian's
# prometheus-postgres-exporter scrapes a database with a trained model, a
# failed training and a scripted session, and /metrics carries cfrec's
# series with the values the database holds.
# Needs PGHOST/PGPORT/PGUSER of a running cluster with cfrec installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
db=cfrec_exporter
port=59187
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
log=$(mktemp)
cleanup() {
    [ -n "${exporter:-}" ] && kill "$exporter" 2>/dev/null
    psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    rm -f "$log"
}
trap cleanup EXIT
q() { psql -qXAt -v ON_ERROR_STOP=1 -d $db -c "SET client_min_messages = warning" "$@"; }
q -c "CREATE EXTENSION cfrec" \
  -c "CREATE TABLE ratings AS SELECT u AS user_id, i AS item_id, 1 + (u * i) % 5 AS rating
      FROM generate_series(1, 40) u, generate_series(1, 30) i WHERE (u + i) % 3 = 0" \
  -c "CREATE INDEX ON ratings (user_id)" \
  -c "SELECT users FROM cfrec_train('ratings', model => 'shop', factors => 4)" >/dev/null
q -c "SELECT cfrec_train('ratings', model => 'shop', factors => 0)" 2>/dev/null && exit 1
# One session: likes at ranks 1 and 3 of the top 3 -> precision@3 = 2/3.
session=$(q -c "SELECT DISTINCT session_id FROM cfrec_serve(1, 5, 'shop')")
q -c "SELECT cfrec_feedback('$session', item_id) FROM cfrec_impressions
      WHERE session_id = '$session' AND rank IN (1, 3)" >/dev/null
for _ in $(seq 1 100); do  # the failed training's row comes from a background worker
    [ "$(q -c "SELECT count(*) FROM cfrec_training_log WHERE outcome = 'error'")" = 1 ] && break
    sleep 0.1
done

DATA_SOURCE_NAME="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db sslmode=disable" \
    prometheus-postgres-exporter --web.listen-address=127.0.0.1:$port \
    --extend.query-path="$root/docker/postgres_exporter/cfrec-queries.yaml" >"$log" 2>&1 &
exporter=$!
metrics=""
for _ in $(seq 1 50); do
    metrics=$(curl -sf "http://127.0.0.1:$port/metrics" || true)
    grep -q '^cfrec_model_users' <<<"$metrics" && break
    sleep 0.2
done
grep '^cfrec_' <<<"$metrics" || { cat "$log"; exit 1; }
expect() { # SERIES-REGEX VALUE
    if ! grep -qE "^$1 $2\$" <<<"$metrics"; then echo "FAIL: no '$1 $2'"; exit 1; fi
}
users=$(q -c "SELECT users FROM cfrec_models WHERE model = 'shop'")
expect 'cfrec_model_users\{model="shop"(,server="[^"]*")?\}' "$users"
expect 'cfrec_model_items\{model="shop"(,server="[^"]*")?\}' 30
expect 'cfrec_model_failures_last_day\{model="shop"(,server="[^"]*")?\}' 1
expect 'cfrec_model_last_run_ok\{model="shop"(,server="[^"]*")?\}' 0
expect 'cfrec_training_runs_last_day\{model="shop",operation="train",outcome="ok"(,server="[^"]*")?\}' 1
expect 'cfrec_training_runs_last_day\{model="shop",operation="train",outcome="error"(,server="[^"]*")?\}' 1
expect 'cfrec_online_precision_at_3\{model="shop"(,server="[^"]*")?\}' '0\.6666666666666666'
expect 'cfrec_online_sessions\{model="shop"(,server="[^"]*")?\}' 1
age=$(grep -oP '^cfrec_model_age_seconds\{model="shop"[^}]*\} \K\S+' <<<"$metrics")
echo "model age from the exporter: $age s"
awk -v a="$age" 'BEGIN { exit !(a >= 0 && a < 600) }'
echo "exporter scrape carries cfrec's metrics"
