#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: Ratchet's own role and database
# (registry and prediction logs), separate from Temporal's.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE ratchet LOGIN PASSWORD '${RATCHET_DB_PASSWORD}';
CREATE DATABASE ratchet OWNER ratchet;
SQL
