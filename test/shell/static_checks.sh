#!/usr/bin/env bash
# What CI can check of the parts it cannot run: every shell script parses and
# passes shellcheck (warnings and errors), docker/compose.yaml is a valid
# Compose file (docker-compose config; no Docker engine runs here), and the
# Dockerfile builds with the same scripts as CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=(scripts/demo scripts/test scripts/install-deps scripts/build-install scripts/pg-private
         scripts/load-movielens scripts/check-schedule .ci/run bench/quality bench/drift
         bench/refresh-bench bench/train-bench test/shell/*.sh)
for s in "${scripts[@]}"; do bash -n "$s"; done
echo "bash -n: ${#scripts[@]} scripts parse"
shellcheck -S warning "${scripts[@]}"
echo "shellcheck: clean"
docker-compose -f docker/compose.yaml config -q
services=$(docker-compose -f docker/compose.yaml config --services | sort | tr '\n' ' ')
echo "compose services: $services"
[ "$services" = "db pgadmin postgres-exporter prometheus " ]
grep -q 'scripts/install-deps build' docker/Dockerfile
grep -q 'scripts/build-install' docker/Dockerfile
grep -q 'scripts/build-install' scripts/test
echo "Dockerfile and CI share scripts/install-deps and scripts/build-install"
