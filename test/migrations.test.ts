import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Database from "../src/db/Database.js"
import { migrate, MIGRATIONS_TABLE } from "../src/db/Migrations.js"
import { latestMigrationId } from "../src/db/migrations/index.js"
import { catalogQueues } from "../src/queue/catalog.js"
import * as TestDatabase from "./support/TestDatabase.js"

describe("migrations", () => {
  it.scopedLive("apply on an empty database, then are a no-op", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const first = yield* migrate
      assert.deepStrictEqual(first.map(([id]) => id), Array.from({ length: latestMigrationId }, (_, i) => i + 1))
      assert.deepStrictEqual(yield* migrate, [])
      const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql(MIGRATIONS_TABLE)}`
      assert.strictEqual(rows[0]!.n, latestMigrationId)
      const schemas = yield* sql<{ nspname: string }>`
        SELECT nspname FROM pg_namespace WHERE nspname IN ('pgmq', 'workers') ORDER BY nspname`
      assert.deepStrictEqual(schemas.map((s) => s.nspname), ["pgmq", "workers"])
    }).pipe(Effect.provide(TestDatabase.layer({ migrated: false }))))

  it.scopedLive("four processes migrating the same empty database at once apply each migration once", () =>
    Effect.gen(function*() {
      const url = yield* TestDatabase.freshDatabase({ migrated: false })
      const runs = yield* Effect.all(
        Array.from({ length: 4 }, (_, i) =>
          migrate.pipe(
            Effect.provide(Database.layerFromOptions({ url, poolSize: 1, applicationName: `migrator-${i}` })),
            Effect.scoped
          )),
        { concurrency: 4 }
      )
      const applied = runs.flat().map(([id]) => id).sort((a, b) => a - b)
      assert.deepStrictEqual(applied, Array.from({ length: latestMigrationId }, (_, i) => i + 1))
      const queues = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        return yield* sql<{ n: number; probe_table: boolean }>`
          SELECT count(*)::int AS n, to_regclass('workers.probe_effects') IS NOT NULL AS probe_table FROM pgmq.list_queues()`
      }).pipe(Effect.provide(Database.layerFromOptions({ url, poolSize: 1, applicationName: "check" })))
      // the catalogue only: the probe service's queue and table are the tests' and the dev stack's (0014)
      assert.deepStrictEqual(queues[0], { n: catalogQueues.length, probe_table: false })
    }))
})
