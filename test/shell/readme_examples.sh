#!/usr/bin/env bash
# The README is a contract: scripts/demo on ml-latest-small, then every block
# fenced ```sql in README.md, in order, in the demo's database, with no ERROR;
# then the demo once more, which must succeed and keep what the README made.
# Writes what the blocks printed to build/readme-output.txt.
# As root the demo runs from a copy of this tree inside a directory that only
# root may enter, as a clone under /root is. Skipped without MovieLens.
set -euo pipefail
cd "$(dirname "$0")/../.."
# MOVIELENS_DIR tries another release (any format scripts/load-movielens reads).
movielens=$(realpath -m "${MOVIELENS_DIR:-../shared/data/ml-latest-small}")
if [ ! -d "$movielens" ]; then
    echo "skipped: no $movielens"; exit 0
fi
port=54339
work=$(mktemp -d)
chmod 700 "$work"
cp -a . "$work/cfrec"  # with the built objects: make finds them up to date
rm -rf "$work/cfrec/.demo"  # a demo run from this checkout is not the copy's
checkout=$work/cfrec
demo() { (cd "$checkout" && CFREC_DEMO_PORT=$port MOVIELENS_DIR=$movielens scripts/demo "$@"); }
elsewhere=$(getent passwd postgres | cut -d: -f6)/cfrec-demo/${checkout//\//_}  # see scripts/demo
cleanup() {
    for d in "$checkout/.demo/pgdata" "$elsewhere/pgdata"; do
        if [ -f "$d/postmaster.pid" ]; then scripts/pg-private stop "$d"; fi
    done
    rm -rf "$work" "$elsewhere"
}
trap cleanup EXIT

echo "== the demo, from $checkout"
demo 42 | tee "$work/demo1.out"
# Ranks in order, scores and the training summary rounded.
ranks=$(awk '/== top-10 recommendations/ {on = 1; next} on && $1 ~ /^[0-9]+$/ && $2 == "|" {print $1}' "$work/demo1.out" | tr '\n' ' ')
[ "$ranks" = "1 2 3 4 5 6 7 8 9 10 " ] || { echo "FAIL: ranks printed as: $ranks"; exit 1; }
grep -E '^ default +\| implicit' "$work/demo1.out" | grep -qE '\| +[0-9]+\.[0-9]{2} +\| +[0-9]+\.[0-9]{4}$' ||
    { echo "FAIL: the training summary is not rounded"; exit 1; }
# Connect as the demo says to.
read -r pgdata pgport < <(grep -oP 'scripts/pg-private env \K\S+ [0-9]+' "$work/demo1.out" | head -1)
[ -n "${pgport:-}" ] || { echo "FAIL: the demo did not say how to connect"; exit 1; }
eval "$(scripts/pg-private env "$pgdata" "$pgport")"
export PGDATABASE=cfrec_demo

default_trained=$(psql -qXAt -c "SELECT trained_at FROM cfrec_models WHERE model = 'default'")

echo "== every \`\`\`sql block of README.md, in order"
awk -f test/readme/sql-blocks.awk README.md >"$work/readme.sql"
echo "$(grep -c '^\\echo' "$work/readme.sql") blocks"
mkdir -p build
if ! psql -X -v ON_ERROR_STOP=1 -f "$work/readme.sql" >build/readme-output.txt 2>&1; then
    tail -30 build/readme-output.txt
    echo "FAIL: a README block gave an ERROR (whole output in build/readme-output.txt)"; exit 1
fi
if grep -n 'ERROR' build/readme-output.txt; then echo "FAIL: ERROR in the output"; exit 1; fi
trained=$(psql -qXAt -c "SELECT trained_at FROM cfrec_models WHERE model = 'default'")
[ "$trained" = "$default_trained" ] || { echo "FAIL: a README example retrained the demo's model 'default'"; exit 1; }
models_before=$(psql -qXAt -c "SELECT string_agg(model, ' ' ORDER BY model) FROM cfrec_models")
echo "models after the README: $models_before"

echo "== the demo again, after the README"
demo 42 >"$work/demo2.out" || { cat "$work/demo2.out"; echo "FAIL: the demo could not be run again"; exit 1; }
grep -q 'already has its tables: kept' "$work/demo2.out"
models_after=$(psql -qXAt -c "SELECT string_agg(model, ' ' ORDER BY model) FROM cfrec_models")
[ "$models_after" = "$models_before" ] || { echo "FAIL: models now: $models_after"; exit 1; }
echo "the README ran without an ERROR, and the demo ran again keeping: $models_after"
