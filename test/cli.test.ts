import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { latestMigrationId } from "../src/db/migrations/index.js"
import { adminQuery } from "./support/admin.js"
import { closedPort } from "./support/net.js"
import { runNode } from "./support/processes.js"
import * as TestDatabase from "./support/TestDatabase.js"

const devEnv = (url: Redacted.Redacted<string>) => ({
  SUPABASE_DB_URL: Redacted.value(url),
  SUPABASE_MODE: "dev",
  ENVIRONMENT: "test"
})

describe("dragonfly db migrate", () => {
  it.live("stops with exit code 1 and names every bad variable, without echoing secrets", () =>
    Effect.gen(function*() {
      const result = yield* runNode(["bin/dragonfly.js", "db", "migrate"], {
        ENVIRONMENT: "production",
        SUPABASE_MODE: "dev",
        SUPABASE_DB_URL: "mysql://root:pa55-word-x@db.example/app",
        DB_POOL_SIZE: "lots"
      })
      assert.strictEqual(result.code, 1)
      assert.strictEqual(result.stdout, "")
      const lines = result.stderr.trim().split("\n")
      assert.strictEqual(lines[0], "error: Invalid configuration (5 problems):")
      assert.deepStrictEqual(lines.slice(1).map((line) => line.trim().split(":")[0]), [
        "DB_POOL_SIZE",
        "SUPABASE_DB_URL",
        "SUPABASE_MODE",
        "SUPABASE_SERVICE_ROLE_KEY",
        "SUPABASE_URL"
      ])
      assert.notInclude(result.stderr, "pa55-word-x")
    }))

  it.live("fails with a clear message when the database cannot be reached", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const result = yield* runNode(["bin/dragonfly.js", "db", "migrate"], {
        ...devEnv(Redacted.make(`postgresql://postgres:pw-do-not-print@127.0.0.1:${port}/dragonfly`)),
        DB_CONNECT_RETRY_SECONDS: "1"
      })
      assert.strictEqual(result.code, 1)
      assert.match(result.stderr, new RegExp(`error: Could not connect to the database at 127\\.0\\.0\\.1:${port}/dragonfly after \\d+ attempts`))
      assert.match(result.stdout + result.stderr, /database not reachable .*\(attempt 1\)/)
      assert.notInclude(result.stdout + result.stderr, "pw-do-not-print")
    }))

  it.scopedLive("migrates an empty database, is a no-op the second time, and two at once are safe", () =>
    Effect.gen(function*() {
      const empty = yield* TestDatabase.freshDatabase({ migrated: false })
      const [a, b] = yield* Effect.all([
        runNode(["bin/dragonfly.js", "db", "migrate"], devEnv(empty)),
        runNode(["bin/dragonfly.js", "db", "migrate"], devEnv(empty))
      ], { concurrency: 2 })
      assert.deepStrictEqual([a!.code, b!.code], [0, 0])
      const applied = (a!.stdout + b!.stdout).split("\n").filter((line) => line.startsWith("applied "))
      assert.lengthOf(applied, latestMigrationId)
      assert.include(a!.stdout + b!.stdout, "database is up to date")
      const again = yield* runNode(["bin/dragonfly.js", "db", "migrate"], devEnv(empty))
      assert.strictEqual(again.code, 0)
      assert.strictEqual(again.stdout.trim(), "database is up to date")
    }), 60_000)

  it.scopedLive("recreates a catalogue queue that is gone (as after a dump/restore), which doctor reports until then", () =>
    Effect.gen(function*() {
      const url = yield* TestDatabase.freshDatabase()
      yield* Effect.promise(() => adminQuery(Redacted.value(url), "SELECT pgmq.drop_queue('score_collectability')"))
      const before = yield* runNode(["bin/dragonfly.js", "doctor"], devEnv(url))
      assert.strictEqual(before.code, 1)
      assert.match(before.stdout, /^✗ queues +missing: score_collectability\n +→ node bin\/dragonfly\.js db migrate/m)

      const migrated = yield* runNode(["bin/dragonfly.js", "db", "migrate"], devEnv(url))
      assert.strictEqual(migrated.code, 0, migrated.stderr)
      assert.strictEqual(migrated.stdout.trim(), "database is up to date\ncreated queue score_collectability (it was missing)")
      const exists = yield* Effect.promise(() =>
        adminQuery(Redacted.value(url), "SELECT to_regclass('pgmq.q_score_collectability') IS NOT NULL AS exists")
      )
      assert.isTrue(exists.rows[0].exists)
      const after = yield* runNode(["bin/dragonfly.js", "doctor"], devEnv(url))
      assert.match(after.stdout, /^✓ queues +all \d+ catalogue queues exist/m)
      const again = yield* runNode(["bin/dragonfly.js", "db", "migrate"], devEnv(url))
      assert.strictEqual(again.stdout.trim(), "database is up to date")
    }), 60_000)

  it.live("lists the commands and exits 0 for --help", () =>
    Effect.gen(function*() {
      const result = yield* runNode(["bin/dragonfly.js", "--help"])
      assert.strictEqual(result.code, 0)
      assert.include(result.stdout, "db migrate")
      assert.include(result.stdout, "dev")
    }))
})
