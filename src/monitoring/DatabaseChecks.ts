import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { appliedMigration } from "../db/Migrations.js"
import { latestMigrationId } from "../db/migrations/index.js"

export interface Check {
  readonly ok: boolean
  readonly detail: string
}

export interface DatabaseChecks {
  readonly database: Check
  readonly pgmq: Check
  readonly migrations: Check
}

const notChecked: Check = { ok: false, detail: "not checked: the database is not reachable" }

/**
 * Whether the database answers, has pgmq, and has this build's migrations (for `/health/db` and
 * `dragonfly doctor`). Details are fixed texts and counts: a driver's error message could name
 * hosts or users, so none is passed on.
 */
export const databaseChecks: Effect.Effect<DatabaseChecks, never, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const probe = yield* sql<{
    readonly pgmq_version: string | null
    readonly pgmq_schema: boolean
  }>`
    SELECT (SELECT extversion FROM pg_extension WHERE extname = 'pgmq') AS pgmq_version,
           to_regclass('pgmq.meta') IS NOT NULL AS pgmq_schema`.pipe(
    Effect.timeout("5 seconds"),
    Effect.option
  )
  if (probe._tag === "None") {
    return { database: { ok: false, detail: "not reachable" }, pgmq: notChecked, migrations: notChecked }
  }
  const row = probe.value[0]!
  const pgmq: Check = row.pgmq_version !== null
    ? { ok: true, detail: `pgmq extension ${row.pgmq_version}` }
    : row.pgmq_schema
    ? { ok: true, detail: "pgmq-compatible schema" }
    : { ok: false, detail: "pgmq is not installed (run the migrations)" }
  const applied = yield* appliedMigration.pipe(
    Effect.timeout("5 seconds"),
    Effect.orElseSucceed(() => -1)
  )
  const migrations: Check = applied === -1
    ? { ok: false, detail: "could not read the migrations table" }
    : applied === 0
    ? { ok: false, detail: `no migrations applied; this build expects ${latestMigrationId}` }
    : applied >= latestMigrationId
    ? { ok: true, detail: `latest migration ${applied}; this build expects ${latestMigrationId}` }
    : { ok: false, detail: `latest migration ${applied}; this build expects ${latestMigrationId} (run the migrations)` }
  return { database: { ok: true, detail: "reachable" }, pgmq, migrations }
})
