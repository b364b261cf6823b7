#!/usr/bin/env bash
# The server-wide shared model cache (issue 14), in a cluster of its own:
# with shared_preload_libraries = 'cfrec' on PostgreSQL 15 and 16, which need
# it, and without on 17 and later, which find the registry without it:
#   - a second session serves from the entry the first one loaded, with the
#     answers of a session that uses only its private cache;
#   - a retrain committed elsewhere is served next; one rolled back never is;
#   - after refreshes one backend catches the shared copy up from the rows
#     they wrote, with the answers of a fresh load;
#   - beyond cfrec.shared_cache_size the least recently used model is
#     evicted, and a model too large for it is served privately;
#   - sessions asking at once for a model not yet loaded load it once;
#   - a session waiting for another's load can be cancelled;
#   - a load cancelled, terminated or killed (kill -9) halfway leaves nothing
#     behind, and the model loads whole afterwards; no backend crashes;
#   - a catalog edited by hand to another width is refused (XX001), never
#     caught up at the shared copy's width;
#   - a linear filter is shared too, operator and all, with a private
#     copy's answers, and a user's new interaction counts on the next call.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$(mktemp -d /tmp/cfrec-shared.XXXXXX)
chmod 755 "$work"
port=54391
cleanup() {
    "$root/scripts/pg-private" stop "$work/data" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
major=$(pg_config --version | grep -oP '[0-9]+' | head -1)
preload=""
[ "$major" -lt 17 ] && preload="-c shared_preload_libraries=cfrec"
echo "PostgreSQL $major, ${preload:-no preload}"
PG_PRIVATE_OPTS="$preload" scripts/pg-private start "$work/data" $port
eval "$(scripts/pg-private env "$work/data" $port)"
export PGDATABASE=cfrec_shared
psql -qX -d postgres -c "CREATE DATABASE cfrec_shared"
q() { psql -qXAt -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" "$@"; }
q -c "CREATE EXTENSION cfrec" \
  -c "CREATE TABLE r AS SELECT u AS user_id, (u * 7 + j * 13) % 800 AS item_id, 1 + (u + j) % 5 AS rating
      FROM generate_series(1, 3000) u, generate_series(1, 30) j" \
  -c "CREATE INDEX ON r (user_id)" \
  -c "SELECT users FROM cfrec_train('r', model => 'm', feedback => 'implicit', rating_column => NULL, iterations => 3)" \
  >/dev/null
fail() { echo "FAIL: $*"; exit 1; }
shared_entries() {  # entries of the model's current version
    q -c "SELECT count(*) FROM cfrec_cache c JOIN cfrec_models m USING (model, version)
          WHERE c.shared AND c.model = '$1'"
}

answers="SELECT item_id, score FROM cfrec_recommend(7, 10, 'm');
SELECT item_id, score FROM cfrec_recommend(8, 10, 'm', exclude_seen => false);
SELECT cfrec_predict(9, 5, 'm');
SELECT item_id, similarity FROM cfrec_similar_items(3, 5, 'm');
SELECT item_id, score FROM cfrec_recommend_for_items(ARRAY[1, 2, 3]::bigint[], k => 5, model => 'm');
SELECT user_id, item_id FROM cfrec_recommend_all('m', 3, users => ARRAY[1, 2, 3]::bigint[]) ORDER BY 1, 2;"

# one_copy MODEL QUERIES OUT: a first session loads MODEL into the shared
# cache (its answers into OUT); a second serves from that entry with no
# private copy, and both answer as a session with the shared cache off.
one_copy() {
    q -c "$2" >"$3"
    [ "$(shared_entries "$1")" = 1 ] || fail "the first session left no shared entry of $1"
    out=$(q -c "$2" -c "SELECT count(*) FROM cfrec_cache WHERE NOT shared AND model = '$1'")
    [ "$(tail -1 <<<"$out")" = 0 ] || fail "a second session loaded a private copy of $1"
    diff "$3" <(head -n -1 <<<"$out") || fail "the second session answers otherwise ($1)"
    q -c "SET cfrec.shared_cache_size = 0" -c "$2" >"$3.private"
    diff "$3" "$3.private" || fail "the shared copy of $1 answers otherwise than a private one"
}

echo "== one copy, the same answers"
one_copy m "$answers" "$work/first.out"
hits=$(q -c "SELECT hits FROM cfrec_cache WHERE shared AND model = 'm'")
echo "a second session served from the first one's entry ($hits hits), answers equal to a private copy"

echo "== versions: a retrain committed elsewhere is served; one rolled back is not"
q -c "SELECT users FROM cfrec_train('r', model => 'm', feedback => 'implicit', rating_column => NULL,
                                     iterations => 3, seed => 9)" >/dev/null
q -c "$answers" >"$work/retrained.out"
q -c "SET cfrec.shared_cache_size = 0" -c "$answers" >"$work/retrained-private.out"
diff "$work/retrained.out" "$work/retrained-private.out" || fail "the retrain is served otherwise than privately"
cmp -s "$work/first.out" "$work/retrained.out" && fail "the retrain changed nothing: versions cannot be told apart"
[ "$(q -c "SELECT count(*) FROM cfrec_cache WHERE shared AND model = 'm'")" = 1 ] ||
    fail "the old version was kept beside the new one"
q -c "BEGIN" -c "SELECT users FROM cfrec_train('r', model => 'm', feedback => 'implicit', rating_column => NULL,
                                                iterations => 3, seed => 11)" \
  -c "SELECT item_id FROM cfrec_recommend(7, 10, 'm')" -c "ROLLBACK" >/dev/null
q -c "$answers" >"$work/after-rollback.out"
diff "$work/retrained.out" "$work/after-rollback.out" || fail "a rolled-back retrain is served"
echo "a committed retrain is served at once, a rolled-back one never"

echo "== refreshes: the shared copy catches up from the rows they wrote"
q -c "INSERT INTO r SELECT 5000, j, 5 FROM generate_series(1, 40) j" \
  -c "SELECT cfrec_refresh_users('m', ARRAY[5000, 7]::bigint[])" -c "SELECT cfrec_refresh_items('m', ARRAY[1, 2]::bigint[])" >/dev/null
answers_new="$answers
SELECT item_id, score FROM cfrec_recommend(5000, 10, 'm');"
out=$(q -c "$answers_new" -c "SELECT count(*) FROM cfrec_cache WHERE NOT shared")
[ "$(tail -1 <<<"$out")" = 0 ] || fail "a refreshed model was loaded privately"
[ "$(shared_entries m)" = 1 ] || fail "no shared entry of the refreshed version"
[ "$(q -c "SELECT catch_ups FROM cfrec_cache c JOIN cfrec_models m USING (model, version)
             WHERE c.shared AND c.model = 'm'")" -ge 1 ] || fail "the refreshed version was loaded whole"
head -n -1 <<<"$out" >"$work/refreshed.out"
q -c "SET cfrec.shared_cache_size = 0" -c "$answers_new" >"$work/refreshed-private.out"
diff "$work/refreshed.out" "$work/refreshed-private.out" || fail "the caught-up copy answers otherwise"
cmp -s <(head -n "$(wc -l <"$work/retrained.out")" "$work/refreshed.out") "$work/retrained.out" &&
    fail "the refresh changed nothing"
cp "$work/refreshed.out" "$work/current.out"
echo "after refreshes of users and items: one shared copy of the new version, caught up, with the answers of a fresh load"

echo "== bounded: least recently used models are evicted, a model too large is served privately"
q -c "SELECT users FROM cfrec_train('r', model => 'm2', feedback => 'implicit', rating_column => NULL, iterations => 2)" >/dev/null
bytes=$(q -c "SELECT max(bytes) FROM cfrec_cache WHERE shared AND model = 'm'")
limit_kb=$(((bytes * 3 / 2) / 1024))  # room for one model, not two
small="SET cfrec.shared_cache_size = '${limit_kb}kB'"
q -c "$small" -c "SELECT count(*) FROM cfrec_recommend(1, 5, 'm2')" >/dev/null
[ "$(shared_entries m)" = 0 ] && [ "$(shared_entries m2)" = 1 ] || fail "m was not evicted for m2"
q -c "$small" -c "$answers_new" >"$work/evicted.out"
diff "$work/current.out" "$work/evicted.out" || fail "m answers otherwise after its eviction"
[ "$(shared_entries m)" = 1 ] && [ "$(shared_entries m2)" = 0 ] || fail "m2 was not evicted for m"
tiny="SET cfrec.shared_cache_size = '64kB'"
out=$(q -c "$tiny" -c "SELECT count(*) FROM cfrec_recommend(1, 5, 'm2')" -c "SELECT count(*) FROM cfrec_cache WHERE NOT shared AND model = 'm2'")
[ "$(tail -1 <<<"$out")" = 1 ] || fail "a model larger than the cache was not served privately"
[ "$(shared_entries m2)" = 0 ] || fail "a model larger than the cache entered it"
echo "one model's room: the other is evicted and reloads with the same answers; a larger one is served privately"

echo "== sessions asking at once load once"
q -c "SELECT users FROM cfrec_train('r', model => 'c', feedback => 'implicit', rating_column => NULL, iterations => 2)" >/dev/null
for j in $(seq 1 8); do q -c "SELECT count(*) FROM cfrec_recommend($j, 5, 'c')" >"$work/c$j.out" & done
wait
read -r entries hits <<<"$(q -F ' ' -c "SELECT count(*), sum(hits) FROM cfrec_cache WHERE shared AND model = 'c'")"
[ "$entries" = 1 ] && [ "$hits" = 8 ] || fail "8 sessions made $entries entries with $hits hits"
echo "8 sessions at once: 1 entry, 8 hits"

# A load held up halfway: another session locks the item factors, so the
# loader stops after reading the users, with its entry still loading.
hold_load() {  # hold_load MODEL: starts a loader that blocks; prints its pid
    q -c "SELECT users FROM cfrec_train('r', model => '$1', feedback => 'implicit', rating_column => NULL,
                                         iterations => 2)" >/dev/null
    psql -qXAt -c "BEGIN" -c "LOCK TABLE cfrec_item_factors IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(30)" \
        >/dev/null 2>&1 &
    locker=$!
    sleep 0.5
    psql -qXAt -c "SELECT count(*) FROM cfrec_recommend(1, 5, '$1')" >"$work/loader.out" 2>&1 &
    loader=$!
    for _ in $(seq 1 100); do
        pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE query LIKE '%cfrec_recommend(1, 5, ''$1'')%'
                    AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
        [ -n "$pid" ] && break
        sleep 0.1
    done
    [ -n "$pid" ] || fail "the loader of $1 did not block"
}
release_lock() {
    q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
    wait "$locker" 2>/dev/null || true
}

echo "== a session waiting for another's load can be cancelled"
hold_load w
start=$(date +%s%N)
out=$(q -c "SET statement_timeout = '300ms'" -c "SELECT count(*) FROM cfrec_recommend(2, 5, 'w')" 2>&1) &&
    fail "the waiter was not cancelled"
elapsed=$((($(date +%s%N) - start) / 1000000))  # ms
grep -q "canceling statement due to statement timeout" <<<"$out" || fail "$out"
[ "$elapsed" -lt 1500 ] || fail "the waiter took $elapsed ms to stop"
release_lock
wait "$loader" || fail "the loader failed: $(cat "$work/loader.out")"
[ "$(shared_entries w)" = 1 ] || fail "the held-up load did not finish"
echo "the waiter stopped after $elapsed ms; the load then finished"

echo "== a load cancelled, terminated or killed halfway leaves nothing behind"
for how in cancel terminate kill; do
    hold_load "h_$how"
    case $how in
    cancel) q -c "SELECT pg_cancel_backend($pid)" >/dev/null ;;
    terminate) q -c "SELECT pg_terminate_backend($pid)" >/dev/null ;;
    kill) kill -9 "$pid" ;;
    esac
    wait "$loader" 2>/dev/null && fail "the $how of the loader did not stop it"
    if [ "$how" = kill ]; then  # the postmaster restarts every backend, the locker's too
        sleep 1
        for _ in $(seq 1 100); do psql -qXAt -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done
        wait "$locker" 2>/dev/null || true
    else
        release_lock
    fi
    [ "$(shared_entries "h_$how")" = 0 ] || fail "a half-built entry of h_$how is visible after the $how"
    q -c "SELECT count(*) FROM cfrec_recommend(1, 5, 'h_$how')" >/dev/null
    [ "$(shared_entries "h_$how")" = 1 ] || fail "h_$how did not load after the $how"
    echo "after the loader's $how: no entry left, and the next call loaded it whole"
done
grep -q "terminated by signal 9" "$work/data/server.log" || fail "the kill did not happen"
if grep "terminated by signal" "$work/data/server.log" | grep -v "signal 9"; then fail "a backend crashed"; fi
q -c "$answers_new" >"$work/end.out"
diff "$work/current.out" "$work/end.out" || fail "after the restart the answers changed"

echo "== a shared copy is never caught up from rows of another width"
# The catalog edited by hand (only its owner can since 1.9.0): a newer
# version, 1 factor where the shared copy has 8, 5,000 user rows cut to 1.
q -c "SELECT users FROM cfrec_train('r', model => 'wide', factors => 8, iterations => 2)" >/dev/null
q -c "SELECT count(*) FROM cfrec_recommend(1, 3, 'wide')" >/dev/null
[ "$(shared_entries wide)" = 1 ] || fail "wide was not loaded into the shared cache"
out=$(psql -qXAt -v VERBOSITY=verbose 2>&1 <<'SQL' || true
BEGIN;
UPDATE cfrec_model SET factors = 1, version = nextval('cfrec_model_version_seq') WHERE name = 'wide';
UPDATE cfrec_user_factors f SET factors = f.factors[1:1], version = m.version
FROM cfrec_model m WHERE f.model = 'wide' AND m.name = 'wide';
SELECT count(*) FROM cfrec_recommend(1, 3, 'wide');
ROLLBACK;
SQL
)
grep -q "ERROR:  XX001" <<<"$out" || fail "the doctored catch-up was not refused: $out"
echo "refused: $(grep -m1 'ERROR:' <<<"$out")"
q -c "SELECT count(*) FROM cfrec_recommend(1, 3, 'wide')" >/dev/null
if grep "terminated by signal" "$work/data/server.log" | grep -v "signal 9"; then fail "a backend crashed"; fi
echo "== a linear filter: one shared copy of its operator, the answers of a private one"
q -c "SELECT users FROM cfrec_train('r', model => 'lf', algorithm => 'linear_filter', rating_column => NULL,
                                     factors => 16)" >/dev/null
answers_lf="SELECT item_id, round(score::numeric, 5) FROM cfrec_recommend(7, 10, 'lf');
SELECT item_id, round(score::numeric, 5) FROM cfrec_recommend(8, 10, 'lf', exclude_seen => false);
SELECT item_id, round(similarity::numeric, 5) FROM cfrec_similar_items(3, 5, 'lf');
SELECT item_id, round(score::numeric, 5) FROM cfrec_recommend_for_items(ARRAY[1, 2, 3]::bigint[], k => 5, model => 'lf');
SELECT user_id, item_id FROM cfrec_recommend_all('lf', 3, users => ARRAY[1, 2, 3]::bigint[]) ORDER BY 1, 2;
SELECT kind, item_id, round(contribution::numeric, 5) FROM cfrec_explain(7, 11, 'lf', k => 3);"
one_copy lf "$answers_lf" "$work/lf.out"
q -c "INSERT INTO r VALUES (7, 799, 1), (7, 798, 1), (7, 797, 1)"
q -c "$answers_lf" >"$work/lf-new.out"
cmp -s "$work/lf.out" "$work/lf-new.out" && fail "user 7's new interactions changed nothing"
q -c "SET cfrec.shared_cache_size = 0" -c "$answers_lf" >"$work/lf-new-private.out"
diff "$work/lf-new.out" "$work/lf-new-private.out" || fail "after new interactions the shared filter answers otherwise"
[ "$(shared_entries lf)" = 1 ] || fail "new interactions made a new entry: they need no retrain"
bytes=$(q -c "SELECT bytes FROM cfrec_cache c JOIN cfrec_models m USING (model, version) WHERE c.shared AND c.model = 'lf'")
echo "one shared entry of $bytes bytes; private answers; user 7's new interactions count on the next call"
if grep "terminated by signal" "$work/data/server.log" | grep -v "signal 9"; then fail "a backend crashed"; fi

echo "shared cache: all checks passed"
