#!/usr/bin/env bash
# Installs Debian's PostgreSQL for the registry's PostgreSQL tests, if it is missing. Idempotent and
# quiet: prints nothing when PostgreSQL is already there. The package creates a cluster (e.g. 15/main);
# scripts/test-postgres.ts starts it and creates the test role and database when tests run.
set -euo pipefail

if dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q 'install ok installed' && command -v pg_lsclusters >/dev/null 2>&1; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
