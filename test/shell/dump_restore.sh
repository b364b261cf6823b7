#!/usr/bin/env bash
# Models live in extension configuration tables: pg_dump and pg_restore keep
# them, and the restored database serves the same recommendations.
# Needs PGHOST/PGPORT/PGUSER of a running cluster with cfrec installed.
set -euo pipefail
src=cfrec_dump_src
dst=cfrec_dump_dst
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" \
    -c "CREATE DATABASE $src" -c "CREATE DATABASE $dst"
dump=$(mktemp)
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst"; rm -f "$dump"' EXIT
psql -qXAt -v ON_ERROR_STOP=1 -d $src -c "CREATE EXTENSION cfrec" \
    -c "CREATE TABLE ratings AS SELECT u AS user_id, i AS item_id, 1 + (u * i) % 5 AS rating
        FROM generate_series(1, 40) u, generate_series(1, 30) i WHERE (u + 2 * i) % 3 <> 0" \
    -c "SET client_min_messages = warning" \
    -c "SELECT users FROM cfrec_train('ratings', model => 'm', factors => 8, iterations => 5)" >/dev/null
pg_dump -Fc -d $src -f "$dump"
pg_restore -d $dst "$dump"
query="SELECT string_agg(item_id || ':' || score, ' ') FROM cfrec_recommend(3, 5, model => 'm')"
a=$(psql -qXAt -d $src -c "$query")
b=$(psql -qXAt -d $dst -c "$query")
echo "source:   $a"
echo "restored: $b"
[ -n "$a" ] && [ "$a" = "$b" ]
[ "$(psql -qXAt -d $dst -c "SELECT count(*) FROM cfrec_models WHERE model = 'm'")" = 1 ]
