import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import { Context, Data, Effect, Layer } from "effect"
import { latestMigrationId, migrations } from "./migrations/index.js"

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

/** The database lacks migrations this build needs. */
export class SchemaNotCurrent extends Data.TaggedError("SchemaNotCurrent")<{
  readonly applied: number
  readonly expected: number
}> {
  override get message() {
    return `the database is not migrated: it has ${
      this.applied === 0 ? "no migrations" : `migrations up to ${this.applied}`
    }, this build needs ${this.expected}; run: node bin/dragonfly.js db migrate`
  }
}

/** The newest migration applied to the database; 0 when none (not even the table). */
export const appliedMigration = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const [table] = yield* sql<{ readonly exists: boolean }>`SELECT to_regclass(${MIGRATIONS_TABLE}) IS NOT NULL AS exists`
  if (table?.exists !== true) return 0
  const [row] = yield* sql<{ readonly latest: number | null }>`
    SELECT max(migration_id)::int AS latest FROM ${sql(MIGRATIONS_TABLE)}`
  return row?.latest ?? 0
})

/**
 * At start: fails with `SchemaNotCurrent` when migrations this build needs are missing; a
 * database migrated ahead of the code (a newer build migrated it, and this one still runs, as
 * during a deploy) is logged as a warning and allowed.
 */
export const requireCurrentSchema = Effect.gen(function*() {
  const applied = yield* appliedMigration
  if (applied < latestMigrationId) return yield* new SchemaNotCurrent({ applied, expected: latestMigrationId })
  if (applied > latestMigrationId) {
    yield* Effect.logWarning(
      `the database is migrated ahead of this code (migration ${applied}, this build knows ${latestMigrationId}): deploy the matching code`
    )
  }
})

/** The database layer, checked by `requireCurrentSchema` once connected. */
export const checkedDatabase = <A extends SqlClient.SqlClient, E, R>(database: Layer.Layer<A, E, R>) =>
  Layer.tap(database, (context) => Effect.provideService(requireCurrentSchema, SqlClient.SqlClient, Context.unsafeGet(context, SqlClient.SqlClient)))
