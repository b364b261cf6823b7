#!/usr/bin/env bash
# scripts/load-movielens reads every MovieLens release format. The test writes
# a few lines of each (Latin-1 where the real release is Latin-1) and checks
# counts, accents, years, genres, tags and links in the loaded tables.
# Needs PGHOST/PGPORT/PGUSER of a running cluster.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
db=cfrec_loaders
work=$(mktemp -d)
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0"
new_db=cfrec_loaders_new
psql -qX -d postgres -c "DROP DATABASE IF EXISTS $new_db"
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP DATABASE IF EXISTS $new_db"; rm -rf "$work"' EXIT
export PGDATABASE=$db
latin1() { iconv -f UTF-8 -t LATIN1; }
check() { # SQL EXPECTED
    got=$(psql -qXAt -c "$1")
    if [ "$got" != "$2" ]; then echo "FAIL: $1"$'\n'"  got:      $got"$'\n'"  expected: $2"; exit 1; fi
}

echo "== ml-100k (tab-separated u.data, '|' u.item in Latin-1, u.genre)"
mkdir "$work/100k"
printf '196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n' >"$work/100k/u.data"
printf 'unknown|0\nAction|1\nComedy|2\nDrama|3\n\n' >"$work/100k/u.genre"
latin1 >"$work/100k/u.item" <<'EOF'
242|Kolya (1996)|24-Jan-1997||http://us.imdb.com/M/title-exact?Kolya%20(1996)|0|0|1|0
302|L.A. Confidential (1997)|01-Jan-1997||http://us.imdb.com/M/title-exact?L%2EA%2E+Confidential+(1997)|0|0|0|1
377|Misérables, Les|01-Jan-1995||http://us.imdb.com/|0|1|1|0
EOF
"$root/scripts/load-movielens" "$work/100k"
check "SELECT count(*), sum(rating) FROM ratings" "3|7"
check "SELECT title || '/' || year || '/' || array_to_string(genres, ',') FROM movies WHERE movie_id = 377" \
    "Misérables, Les/1995/Action,Comedy"
check "SELECT year || array_to_string(genres, ',') FROM movies WHERE movie_id = 242" "1996Comedy"
check "SELECT rated_at = to_timestamp(881250949) FROM ratings WHERE user_id = 196" "t"
check "SELECT count(*) FROM tags" "0"

echo "== ml-1m ('::'-separated .dat in Latin-1, no tags)"
mkdir "$work/1m"
printf '1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n' >"$work/1m/ratings.dat"
latin1 >"$work/1m/movies.dat" <<'EOF'
1193::One Flew Over the Cuckoo's Nest (1975)::Drama
661::James and the Giant Peach (1996)::Animation|Children's|Musical
3635::Déjà Vu (1997)::Romance
EOF
"$root/scripts/load-movielens" "$work/1m"
check "SELECT count(*), count(DISTINCT user_id), max(rating) FROM ratings" "3|2|5"
check "SELECT title || '/' || year FROM movies WHERE movie_id = 3635" "Déjà Vu (1997)/1997"
check "SELECT array_to_string(genres, ',') FROM movies WHERE movie_id = 661" "Animation,Children's,Musical"

echo "== ml-10m (UTF-8 .dat with tags.dat, half-star ratings)"
mkdir "$work/10m"
printf '1::122::4.5::838985046\n1::185::5::838983525\n' >"$work/10m/ratings.dat"
cat >"$work/10m/movies.dat" <<'EOF'
122::Boomerang (1992)::Comedy|Romance
185::Net, The (1995)::Action|Crime|Thriller
EOF
cat >"$work/10m/tags.dat" <<'EOF'
15::4973::excellent!::1215184630
20::1747::politics::1188263867
20::1747::a::b c::1188263880
EOF
"$root/scripts/load-movielens" "$work/10m"
check "SELECT string_agg(rating::text, ',' ORDER BY rating) FROM ratings" "4.5,5"
check "SELECT count(*), string_agg(tag, '|' ORDER BY tagged_at) FROM tags" "3|politics|a::b c|excellent!"

echo "== CSV (ml-latest-small style: quotes, UTF-8, no genres, links without header)"
mkdir "$work/csv"
cat >"$work/csv/ratings.csv" <<'EOF'
userId,movieId,rating,timestamp
1,31,2.5,1260759144
1,1029,3.0,1260759179
2,31,4.0,1260759200
EOF
cat >"$work/csv/movies.csv" <<'EOF'
movieId,title,genres
31,Dangerous Minds (1995),Drama
1029,"Misérables, Les (1995)",Drama|War
149434,Ocean's Eight,(no genres listed)
40697,Babylon 5 (1994-1998),Sci-Fi
EOF
cat >"$work/csv/tags.csv" <<'EOF'
userId,movieId,tag,timestamp
15,339,sandra 'boring' bullock,1138537770
15,1955,"dentist, scary",1193435061
EOF
printf '31,0112792,9909\n1029,0113828,\n' >"$work/csv/links.csv"
"$root/scripts/load-movielens" "$work/csv"
check "SELECT count(*), sum(rating) FROM ratings" "3|9.5"
check "SELECT title || '/' || year FROM movies WHERE movie_id = 1029" "Misérables, Les (1995)/1995"
check "SELECT coalesce(year::text, 'none') || '/' || coalesce(genres::text, 'none') FROM movies WHERE movie_id = 149434" "none/none"
check "SELECT year FROM movies WHERE movie_id = 40697" "1994"
check "SELECT string_agg(tag, '|' ORDER BY tagged_at) FROM tags" "sandra 'boring' bullock|dentist, scary"
check "SELECT string_agg(movie_id || ':' || imdb_id || ':' || coalesce(tmdb_id::text, '-'), ' ' ORDER BY movie_id) FROM links" \
    "31:0112792:9909 1029:0113828:-"

echo "== a folder of no known format fails and keeps the loaded tables"
mkdir "$work/empty"
if "$root/scripts/load-movielens" "$work/empty" 2>"$work/err"; then echo "FAIL: loaded an empty folder"; exit 1; fi
grep -q "none of ratings.csv" "$work/err"
check "SELECT count(*) FROM ratings" "3"

echo "== a broken file rolls the whole load back"
mkdir "$work/broken"
cp "$work/1m/movies.dat" "$work/broken/"
printf '1::1193::five::978300760\n' >"$work/broken/ratings.dat"
if "$root/scripts/load-movielens" "$work/broken" 2>"$work/err"; then echo "FAIL: loaded a broken file"; exit 1; fi
check "SELECT count(*), sum(rating) FROM ratings" "3|9.5"
echo "== a database that does not exist yet is created"
PGDATABASE=$new_db "$root/scripts/load-movielens" "$work/1m" | tee "$work/out"
grep -q "created database $new_db" "$work/out"
[ "$(psql -qXAt -d $new_db -c "SELECT count(*) FROM ratings")" -gt 0 ]
echo "all formats loaded"
