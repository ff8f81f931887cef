import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import { Effect } from "effect"
import { migrations } from "./migrations/index.js"

export const MIGRATIONS_TABLE = "dragonfly_migrations"

// Arbitrary constant: the transaction-scoped advisory lock serialising creation of the table.
const CREATE_TABLE_LOCK = 727_001

/**
 * The Migrator locks its table for the whole run (LOCK TABLE inside one transaction), so
 * concurrent runs serialise and a second run finds nothing to do. Creating that table is the one
 * unguarded race, so it happens first under a transaction-scoped advisory lock, which also holds
 * through a transaction-mode pooler.
 */
const ensureMigrationsTable = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql.withTransaction(Effect.zipRight(
    sql`SELECT pg_advisory_xact_lock(${CREATE_TABLE_LOCK})`,
    sql`CREATE TABLE IF NOT EXISTS ${sql(MIGRATIONS_TABLE)} (
      migration_id integer PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now(),
      name text NOT NULL
    )`
  )))

const runMigrator = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: MIGRATIONS_TABLE })

/** Applies every pending migration; returns those applied (none when up to date). */
export const migrate = Effect.zipRight(ensureMigrationsTable, runMigrator).pipe(
  Effect.withSpan("Migrations.migrate")
)
