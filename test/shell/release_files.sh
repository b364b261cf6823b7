#!/usr/bin/env bash
# The release files agree: one version in cfrec.control, META.json,
# debian/changelog and CHANGELOG.md; released extension scripts are never
# edited again (src/sql/released.sha256); and a chain of upgrade steps leads
# from the first release to the current version.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" cfrec.control)
echo "cfrec.control: $version"
meta=$(/usr/bin/python3 -c 'import json; m = json.load(open("META.json")); print(m["version"], m["provides"]["cfrec"]["version"])')
[ "$meta" = "$version $version" ] || { echo "META.json says $meta"; exit 1; }
deb=$(dpkg-parsechangelog -S Version)
[ "${deb%-*}" = "$version" ] || { echo "debian/changelog says $deb"; exit 1; }
grep -q "^## $version " CHANGELOG.md || { echo "CHANGELOG.md has no '## $version' section"; exit 1; }
echo "META.json, debian/changelog ($deb) and CHANGELOG.md agree"

(cd src/sql && sha256sum --check --quiet released.sha256) ||
    { echo "a released script in src/sql changed: add a new upgrade step instead"; exit 1; }
echo "released scripts unchanged: $(wc -l <src/sql/released.sha256)"

# Walk the steps from the first release's frozen script to the current version.
at=$(for f in src/sql/cfrec--*.sql; do
         case $f in *--*--*) ;; *) f=${f#src/sql/cfrec--}; echo "${f%.sql}" ;; esac
     done | sort -V | head -1)
path=$at
while [ "$at" != "$version" ]; do
    steps=(src/sql/cfrec--"$at"--*.sql)
    step=${steps[0]}
    [ -f "$step" ] || { echo "no upgrade step from $at (the chain must reach $version)"; exit 1; }
    at=$(sed 's/.*--\(.*\)\.sql/\1/' <<<"$step")
    path+=" -> $at"
done
echo "upgrade chain: $path"
