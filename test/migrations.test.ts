import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { migrate, MIGRATIONS_TABLE } from "../src/db/Migrations.js"
import { latestMigrationId } from "../src/db/migrations/index.js"
import * as TestDatabase from "./support/TestDatabase.js"

describe("migrations", () => {
  it.scoped("apply on an empty database, then are a no-op", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const first = yield* migrate
      assert.strictEqual(first.length, latestMigrationId)
      const second = yield* migrate
      assert.deepStrictEqual(second, [])
      const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql(MIGRATIONS_TABLE)}`
      assert.strictEqual(rows[0]!.n, latestMigrationId)
    }).pipe(Effect.provide(TestDatabase.layer({ migrated: false }))))
})
