#!/bin/sh
# One-shot job (temporalio/admin-tools image): creates the Temporal databases in PostgreSQL and migrates
# them to the schema version this admin-tools image ships. Safe to run again on every `docker compose up`:
# existing databases are kept and migrations only move forward.
#
# Environment: POSTGRES_SEEDS (host), DB_PORT, POSTGRES_USER, SQL_PASSWORD, DBNAME, VISIBILITY_DBNAME.
set -eu

: "${POSTGRES_SEEDS:?is required (the PostgreSQL host)}"
: "${POSTGRES_USER:?is required}"
: "${SQL_PASSWORD:?is required (the PostgreSQL password)}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_ROOT="${SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

migrate() {
  database="$1"
  schema_dir="$2"
  echo "[setup-schema] database ${database}"
  # `create` fails when the database already exists (a restart with the same volume): carry on, and let
  # setup-schema below fail loudly if the database is really not there.
  sql_tool --db "$database" create || echo "[setup-schema] ${database} already exists"
  sql_tool --db "$database" setup-schema -v 0.0
  sql_tool --db "$database" update-schema -d "$schema_dir"
}

migrate "${DBNAME:-temporal}" "${SCHEMA_ROOT}/temporal/versioned"
migrate "${VISIBILITY_DBNAME:-temporal_visibility}" "${SCHEMA_ROOT}/visibility/versioned"
echo "[setup-schema] done"
