#!/usr/bin/env bash
# The Debian package works where there is no compiler: apt installs
# dist/postgresql-MAJOR-cfrec_<version>-*.deb (from scripts/package, run by
# scripts/test on the host and in each chroot) into a chroot that has only
# postgresql-MAJOR (scripts/pg-chroot MAJOR runtime), and there a fresh
# cluster runs CREATE EXTENSION cfrec, a training and a recommendation.
#   test/package/install-in-chroot.sh MAJOR
set -euo pipefail
cd "$(dirname "$0")/../.."
major=${1:?usage: install-in-chroot.sh MAJOR}
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" cfrec.control)
debs=(dist/postgresql-"$major"-cfrec_"$version"-*_*.deb)
deb=${debs[0]}
[ -f "$deb" ] || { echo "no $deb: build it first (scripts/package, or scripts/test-in-chroot $major)"; exit 1; }
echo "package: $deb, $(du -k "$deb" | cut -f1) KiB"
dpkg-deb -c "$deb" | awk '{print $6}' | grep -E 'cfrec(\.so|\.control|--.*\.sql)$'

shown=$(mktemp -d)
trap 'rm -rf "$shown"' EXIT
cp "$deb" "$shown/"
# In a throwaway copy of the clean chroot: the package never stays installed.
CFREC_CHROOT_MOUNT=$shown scripts/pg-chroot try "$major" runtime bash -euc '
    for tool in cc gcc g++ make; do
        if command -v $tool >/dev/null; then echo "$tool is installed: not a clean runtime"; exit 1; fi
    done
    [ ! -d /usr/include/postgresql ] || { echo "server headers are installed: not a clean runtime"; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /mnt/*.deb >/dev/null
    bin=/usr/lib/postgresql/'"$major"'/bin
    mkdir -p /tmp/db && chown postgres: /tmp/db
    runuser -u postgres -- $bin/initdb -D /tmp/db/data -U postgres --auth=trust >/dev/null
    runuser -u postgres -- $bin/pg_ctl -D /tmp/db/data -l /tmp/db/log -w \
        -o "-k /tmp/db -c listen_addresses=" start >/dev/null
    psql() { runuser -u postgres -- $bin/psql -h /tmp/db -U postgres -qXAt -v ON_ERROR_STOP=1 "$@"; }
    psql -c "CREATE EXTENSION cfrec" \
         -c "SELECT extname || '"' '"' || extversion FROM pg_extension WHERE extname = '"'cfrec'"'"
    psql -c "CREATE TABLE ratings AS SELECT u AS user_id, i AS item_id, 1 + (u * i) % 5 AS rating
             FROM generate_series(1, 50) u, generate_series(1, 30) i WHERE (u + 2 * i) % 3 <> 0" \
         -c "CREATE INDEX ON ratings (user_id, item_id)" \
         -c "SET client_min_messages = warning" \
         -c "SELECT format('"'trained: %s users, %s items'"', users, items) FROM cfrec_train('"'ratings'"', factors => 8)" \
         -c "SELECT '"'recommended: '"' || count(*) FROM cfrec_recommend(1, 5)"
    runuser -u postgres -- $bin/pg_ctl -D /tmp/db/data -m fast -w stop >/dev/null
' | tee build/package-chroot.log
grep -qx "cfrec $version" build/package-chroot.log
grep -qx "recommended: 5" build/package-chroot.log
