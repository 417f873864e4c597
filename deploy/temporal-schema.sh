#!/bin/sh
# One-shot: create and migrate Temporal's two PostgreSQL schemas (idempotent: create fails
# harmlessly when the database exists, update-schema only applies missing versions).
set -eu
tool() { temporal-sql-tool --plugin postgres12 --ep postgresql -u temporal -p 5432 --db "$@"; }
for db in temporal temporal_visibility; do
  tool "$db" create || true
done
tool temporal setup-schema -v 0.0 || true
tool temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned
tool temporal_visibility setup-schema -v 0.0 || true
tool temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned
