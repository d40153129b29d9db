#!/bin/sh
# Creates Temporal's two databases on PostgreSQL and brings their schemas to the server's version.
# Run by `npm run start:cluster` and by docker-compose.yml's temporal-schema service alike; safe
# to run again (what exists is kept, only newer schema versions are applied).
#   SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD    where PostgreSQL is and who may create databases
#   TEMPORAL_DB, TEMPORAL_VISIBILITY_DB           the two databases (temporal, temporal_visibility)
#   TEMPORAL_SQL_TOOL                             the server's temporal-sql-tool binary
#   TEMPORAL_SCHEMA_DIR                           the server's schema/postgresql/v12 directory
set -eu
tool="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
schemas="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"
export SQL_PLUGIN=postgres12

migrate() {
  database="$1"
  versioned="$2"
  # An existing database is fine: --quiet keeps its "already exists" from failing the script.
  SQL_DATABASE="$database" "$tool" --quiet create-database
  if ! SQL_DATABASE="$database" "$tool" setup-schema -v 0.0 2>/dev/null; then
    echo "setup-schema: $database already has a schema version table"
  fi
  SQL_DATABASE="$database" "$tool" update-schema -d "$versioned"
}

migrate "${TEMPORAL_DB:-temporal}" "$schemas/temporal/versioned"
migrate "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}" "$schemas/visibility/versioned"
