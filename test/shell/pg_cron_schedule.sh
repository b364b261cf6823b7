#!/usr/bin/env bash
# The README's scheduling example, for real: pg_cron (Debian's
# postgresql-15-cron, loaded through shared_preload_libraries in a cluster of
# its own) runs cfrec_update every minute; the run shows in
# cron.job_run_details and in cfrec_models. pg_cron 1.4 schedules by the
# minute, so this test waits up to 75 s for the first run.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d /tmp/cfrec-cron.XXXXXX)
chmod 755 "$dir"
port=54339
PG_PRIVATE_OPTS="-c shared_preload_libraries=pg_cron -c cron.database_name=cron_test -c cron.use_background_workers=on" \
    scripts/pg-private start "$dir/data" $port
trap 'scripts/pg-private stop "$dir/data"; rm -rf "$dir"' EXIT
eval "$(scripts/pg-private env "$dir/data" $port)"
psql -qX -d postgres -c "CREATE DATABASE cron_test"
q() { psql -qXAt -v ON_ERROR_STOP=1 -d cron_test -c "SET client_min_messages = warning" "$@"; }
# The Docker image's first-start script creates pg_cron and cfrec.
psql -qX -v ON_ERROR_STOP=1 -d cron_test -f docker/initdb/10-cfrec.sql
q -c "CREATE TABLE ratings (user_id int, item_id int, rating real, added_at timestamptz DEFAULT clock_timestamp())" \
  -c "INSERT INTO ratings (user_id, item_id, rating)
      SELECT u, i, 1 + (u * i) % 5 FROM generate_series(1, 40) u, generate_series(1, 30) i WHERE (u + i) % 3 = 0" \
  -c "SELECT users FROM cfrec_train('ratings', factors => 4, iterations => 3, watermark_column => 'added_at')" \
  -c "INSERT INTO ratings (user_id, item_id, rating) VALUES (900, 3, 5), (900, 6, 4)" >/dev/null
# The example, as the README gives it:
q -c "SELECT cron.schedule('cfrec-update', '* * * * *', \$\$SELECT * FROM cfrec_update('default')\$\$)" >/dev/null
for _ in $(seq 1 75); do
    status=$(q -c "SELECT status FROM cron.job_run_details ORDER BY runid DESC LIMIT 1")
    [ -n "$status" ] && [ "$status" != running ] && [ "$status" != starting ] && break
    sleep 1
done
q -c "SELECT jobid, status, return_message FROM cron.job_run_details"
[ "$status" = succeeded ]
result=$(q -c "SELECT updates >= 1 AND last_update_users = 1 FROM cfrec_models WHERE model = 'default'")
echo "cfrec_models after the scheduled run: $result"
[ "$result" = t ]
[ "$(q -c "SELECT count(*) FROM cfrec_user_factors WHERE model = 'default' AND id = 900")" = 1 ]
# ... and in cfrec_training_log, run by the scheduler's role.
logged=$(q -c "SELECT count(*) FROM cfrec_training_log WHERE model = 'default' AND operation = 'update'
               AND outcome = 'ok' AND parameters ->> 'refreshed_users' = '1'")
echo "cfrec_training_log rows of the scheduled update: $logged"
[ "$logged" = 1 ]
