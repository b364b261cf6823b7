#!/usr/bin/env bash
# What CI can check of the parts it cannot run: every shell script parses and
# passes shellcheck (warnings and errors), docker/compose.yaml is a valid
# Compose file (docker-compose config; no Docker engine runs here), and the
# Dockerfile installs the Debian package that scripts/package builds; the
# app's image takes its Python packages from Debian and Swagger UI's files at
# the version scripts/app vendors.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=(scripts/demo scripts/test scripts/install-deps scripts/build-install scripts/pg-private
         scripts/load-movielens scripts/check-schedule scripts/pg-chroot scripts/test-in-chroot
         scripts/package scripts/copy-tree scripts/app scripts/demo-pgdata .ci/run bench/quality bench/drift
         bench/refresh-bench bench/train-bench bench/recommend-all-memory bench/app-load bench/shared-cache test/shell/*.sh
         test/package/*.sh)
for s in "${scripts[@]}"; do bash -n "$s"; done
echo "bash -n: ${#scripts[@]} scripts parse"
shellcheck -S warning "${scripts[@]}"
echo "shellcheck: clean"
docker-compose -f docker/compose.yaml config -q
services=$(docker-compose -f docker/compose.yaml config --services | sort | tr '\n' ' ')
echo "compose services: $services"
[ "$services" = "app db pgadmin postgres-exporter prometheus " ]
grep -q 'scripts/package' docker/Dockerfile
grep -q 'apt-get install .*postgresql-15-cfrec_\*\.deb' docker/Dockerfile
grep -q 'scripts/package' test/package/install-in-chroot.sh
echo "the Dockerfile installs the package that scripts/package builds and CI tests"
grep -q 'apt-get install .*python3-fastapi' docker/app.Dockerfile
! grep -q 'pip' docker/app.Dockerfile
grep -q 'swagger-ui-dist@$(cat /srv/app/swagger-ui.version)' docker/app.Dockerfile
grep -q 'swagger_version=$(cat app/swagger-ui.version)' scripts/app
echo "the app's image: Debian's Python packages, Swagger UI at the version scripts/app vendors"
# The demo installs only what it needs: not the exporter or docker-compose.
grep -q '^scripts/install-deps demo$' scripts/demo
demo_set="$(grep -oP '^build=\(\K[^)]*' scripts/install-deps) $(grep -oP '^demo\) packages=\(\K[^)]*' scripts/install-deps)"
if grep -qE 'exporter|docker|cron' <<<"$demo_set"; then echo "scripts/demo installs too much: $demo_set"; exit 1; fi
echo "scripts/demo installs: $demo_set"
