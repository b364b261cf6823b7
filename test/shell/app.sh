#!/usr/bin/env bash
# The reference application (app/) against a real database (issue 16):
#   - pytest: the REST API, the ORM example, the dashboard's pages;
#   - headless Chromium: every chart on the dashboard rendered (Chart.js drew
#     it), the catalogue's recommendation cards in rank order, a screenshot
#     (build/app-*.png), and Swagger UI rendered at /docs
#     with no network but loopback.
# Data: ../shared/data/ml-latest-small when present, else the generated
# sample; a private cluster of its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
scripts/app --install-only >/dev/null
work=$(mktemp -d /tmp/cfrec-app.XXXXXX)
chmod 755 "$work"
port=54361
http=8061
cleanup() {
    [ -n "${server:-}" ] && kill "$server" 2>/dev/null
    "$root/scripts/pg-private" stop "$work/data" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
scripts/pg-private start "$work/data" $port
eval "$(scripts/pg-private env "$work/data" $port)"
export PGDATABASE=cfrec_app
psql -qX -d postgres -c "CREATE DATABASE cfrec_app"
psql -qX -c "SET client_min_messages = warning" -c "CREATE EXTENSION cfrec"
# CFREC_APP_DATA=sample forces the generated sample (a catalogue the app was not built on).
if [ "${CFREC_APP_DATA:-}" != sample ] && [ -f ../shared/data/ml-latest-small/ratings.csv ]; then
    scripts/load-movielens ../shared/data/ml-latest-small >/dev/null
else
    psql -qX -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -f scripts/load-sample.sql
    psql -qX -c "CREATE INDEX ON ratings (user_id)" -c "ANALYZE movies, ratings"
fi
psql -qXAt -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
    -c "SELECT users FROM cfrec_train('ratings', item_column => 'movie_id', rating_column => NULL,
                                      feedback => 'implicit')" >/dev/null
export DATABASE_URL="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE"

echo "== pytest (app/tests)"
set +e
/usr/bin/python3 -m pytest -q -p no:cacheprovider app/tests
status=$?
set -e
case $status in
0) ;;
5) echo "pytest collected no test"; exit 1 ;;
*) echo "pytest failed ($status)"; exit 1 ;;
esac

echo "== the dashboard in headless Chromium"
PORT=$http scripts/app >"$work/app.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$http/health" >/dev/null && break; sleep 0.1; done
browse() {  # browse PATH: the page's DOM once its scripts ran
    timeout 60 chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=5000 \
        --dump-dom "http://127.0.0.1:$http$1" 2>/dev/null
}
rendered=0
for page in "/?user=1" /dashboard/users /dashboard/models; do
    dom=$(browse "$page")
    canvases=$(grep -o '<canvas' <<<"$dom" | wc -l)
    drawn=$(grep -o 'data-rendered="true"' <<<"$dom" | wc -l)
    echo "$page: $drawn of $canvases charts rendered"
    [ "$canvases" -gt 0 ] && [ "$drawn" = "$canvases" ] || { echo "a chart did not render on $page"; exit 1; }
    rendered=$((rendered + drawn))
    if [ "$page" = "/?user=1" ]; then  # the cards come best first, as cfrec_recommend ranks them
        scores=$(grep -oP 'class="score">score \K[0-9.-]+' <<<"$dom" | tr '\n' ' ')
        echo "user 1's cards: $scores"
        [ -n "$scores" ] && sort -grc <<<"$(tr ' ' '\n' <<<"$scores" | grep .)" ||
            { echo "the catalogue's cards are not in rank order"; exit 1; }
        because=$(grep -c 'class="because">because you liked' <<<"$dom" || true)
        echo "user 1's cards saying why: $because"
        [ "$because" -gt 0 ] || { echo "no card says \"because you liked\""; exit 1; }
    fi
    name=$(sed 's|[/?=]|_|g; s|^_||' <<<"${page#/}"); name=${name:-catalogue}
    timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=5000 \
        --window-size=1280,1600 --screenshot="$root/build/app-${name:-catalogue}.png" \
        "http://127.0.0.1:$http$page" >/dev/null 2>&1
done
[ "$rendered" -ge 3 ] || { echo "fewer than 3 charts rendered"; exit 1; }
docs=$(browse /docs)
operations=$(grep -o 'class="opblock opblock-' <<<"$docs" | wc -l)
echo "/docs: Swagger UI rendered $operations operations"
[ "$operations" -ge 10 ] || { echo "Swagger UI did not render at /docs"; exit 1; }
echo "screenshots: $(ls "$root"/build/app-*.png | tr '\n' ' ')"
echo "app: all checks passed"
