#!/usr/bin/env bash
# A streaming replica serves what its primary serves (issue 14): a standby
# made with pg_basebackup on loopback
#   - gives the primary's recommendations, predictions, similar items and
#     recommendations for items, byte for byte;
#   - serves a retrain made on the primary once it has replayed it, in a new
#     session and in one that had the old version cached;
#   - refuses cfrec_serve, cfrec_feedback and cfrec_train with a message that
#     says to call them on the primary.
# Runs two private clusters of its own (the PostgreSQL pg_config names, with
# cfrec installed).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$(mktemp -d /tmp/cfrec-standby.XXXXXX)
chmod 755 "$work"
primary=$work/primary
standby=$work/standby
pport=54351
sport=54352
cleanup() {
    [ -n "${cached_pid:-}" ] && kill "$cached_pid" 2>/dev/null
    "$root/scripts/pg-private" stop "$standby" 2>/dev/null || true
    "$root/scripts/pg-private" stop "$primary" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

scripts/pg-private start "$primary" $pport
eval "$(scripts/pg-private env "$primary" $pport)"
db=cfrec_standby
on_primary() { psql -qXAt -v ON_ERROR_STOP=1 -h "$primary" -p $pport -d $db "$@"; }
on_standby() { psql -qXAt -v ON_ERROR_STOP=1 -h "$standby" -p $sport -d $db "$@"; }

psql -qX -h "$primary" -p $pport -d postgres -c "CREATE DATABASE $db"
on_primary -c "SET client_min_messages = warning" -c "CREATE EXTENSION cfrec" \
    -c "CREATE TABLE ratings AS
        SELECT u AS user_id, i AS item_id, 1 + (u * 7 + i * 3) % 5 AS rating
        FROM generate_series(1, 200) u, generate_series(1, 120) i WHERE (u + 2 * i) % 7 < 3" \
    -c "CREATE INDEX ON ratings (user_id)" \
    -c "SELECT users FROM cfrec_train('ratings', model => 'm', factors => 8, iterations => 4)" >/dev/null

bindir=$(pg_config --bindir)
mkdir -m 700 "$standby"
[ "$(id -u)" = 0 ] && chown postgres: "$standby"
# -c fast: checkpoint now rather than spread over checkpoint_timeout.
as_owner "$bindir/pg_basebackup" -h "$primary" -p $pport -U "$PGUSER" -D "$standby" -R -X stream -c fast 2>&1 |
    { grep -v "skipping special file" || true; }
scripts/pg-private start "$standby" $sport
[ "$(on_standby -c "SELECT pg_is_in_recovery()")" = t ] || { echo "the copy is not a standby"; exit 1; }

# Waits until the standby has replayed everything the primary wrote so far.
replayed() {
    local target
    target=$(on_primary -c "SELECT pg_current_wal_lsn()")
    for _ in $(seq 1 200); do
        [ "$(on_standby -c "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn")" = t ] && return 0
        sleep 0.1
    done
    echo "the standby did not replay up to $target"; exit 1
}

queries="SELECT 'recommend', item_id, score FROM cfrec_recommend(1, 5, 'm');
SELECT 'recommend, seen too', item_id, score FROM cfrec_recommend(7, 5, 'm', exclude_seen => false);
SELECT 'predict', cfrec_predict(2, 3, 'm');
SELECT 'similar', item_id, similarity FROM cfrec_similar_items(1, 5, 'm');
SELECT 'for items', item_id, score FROM cfrec_recommend_for_items(ARRAY[1, 2, 3]::bigint[], k => 5, model => 'm');"
compare() {  # compare LABEL: the standby's answers equal the primary's
    on_primary <<<"$queries" >"$work/primary.out"
    on_standby <<<"$queries" >"$work/standby.out"
    [ -s "$work/primary.out" ] || { echo "no answers from the primary"; exit 1; }
    diff "$work/primary.out" "$work/standby.out" || { echo "$1: the standby serves other answers"; exit 1; }
    echo "$1: $(wc -l <"$work/standby.out") answer lines equal on primary and standby"
}

replayed
compare "first training"
cp "$work/standby.out" "$work/first.out"

# A standby session that has the first version cached, kept open across the
# retrain: it must serve the new version too.
mkfifo "$work/in"
psql -qXAt -h "$standby" -p $sport -d $db <"$work/in" >"$work/cached.out" 2>&1 &
cached_pid=$!
exec 3>"$work/in"
echo "$queries" >&3
echo "SELECT 'cached ' || count(*) FROM cfrec_cache;" >&3
for _ in $(seq 1 100); do grep -q "^cached" "$work/cached.out" && break; sleep 0.1; done

on_primary -c "SET client_min_messages = warning" \
    -c "SELECT users FROM cfrec_train('ratings', model => 'm', factors => 12, iterations => 5, seed => 7)" >/dev/null
replayed
compare "after a retrain on the primary"
if diff -q "$work/first.out" "$work/standby.out" >/dev/null; then
    echo "the retrain changed nothing: the test cannot tell versions apart"; exit 1
fi
echo "\\o $work/cached-after.out" >&3
echo "$queries" >&3
exec 3>&-
wait "$cached_pid"
cached_pid=
grep -qx "cached 1" "$work/cached.out" || { cat "$work/cached.out"; echo "the kept session did not cache the model"; exit 1; }
diff "$work/primary.out" "$work/cached-after.out" ||
    { echo "the session that had the old version cached serves other answers"; exit 1; }
echo "a standby session with the old version cached serves the retrain"

# What writes says where to call it.
expect_refusal() {  # expect_refusal SQL: fails with 25006 and names the primary
    local out
    out=$(on_standby -c "\\set VERBOSITY verbose" -c "$1" 2>&1) && { echo "succeeded on the standby: $1"; exit 1; }
    grep -q "25006" <<<"$out" && grep -qi "primary" <<<"$out" ||
        { echo "$out"; echo "unclear refusal of: $1"; exit 1; }
    echo "refused on the standby with 25006: $1"
}
session=$(on_primary -c "SELECT DISTINCT session_id FROM cfrec_serve(1, 3, 'm')")
replayed
expect_refusal "SELECT * FROM cfrec_serve(1, 3, 'm')"
expect_refusal "SELECT cfrec_feedback('$session', (SELECT item_id FROM cfrec_impressions WHERE session_id = '$session' LIMIT 1))"
expect_refusal "SELECT cfrec_train('ratings', model => 'm2', factors => 4, iterations => 1)"
echo "hot standby: all checks passed"
