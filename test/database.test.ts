import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Redacted, Ref } from "effect"
import * as Database from "../src/db/Database.js"
import { closedPort } from "./support/net.js"
import * as TestDatabase from "./support/TestDatabase.js"


const capturingLogger = (lines: Ref.Ref<ReadonlyArray<string>>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ message }) => Ref.update(lines, (all) => [...all, String(message)]).pipe(Effect.runSync))
  )

describe("Database", () => {
  it.live("retries an unreachable database with a log line per attempt, then fails naming the target", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const lines = yield* Ref.make<ReadonlyArray<string>>([])
      const url = Redacted.make(`postgresql://postgres:hunter2-secret@127.0.0.1:${port}/dragonfly`)
      const error = yield* Layer.build(
        Database.layerFromOptions({ url, poolSize: 1, applicationName: "test", retryWindow: "1 second" })
      ).pipe(Effect.scoped, Effect.flip, Effect.provide(capturingLogger(lines)))
      if (error._tag !== "DatabaseUnavailable") return assert.fail(`expected DatabaseUnavailable, got ${error._tag}`)
      assert.strictEqual(error.target, `127.0.0.1:${port}/dragonfly`)
      assert.isAtLeast(error.attempts, 3)
      assert.match(error.message, new RegExp(`^Could not connect to the database at 127\\.0\\.0\\.1:${port}/dragonfly after \\d+ attempts: .*ECONNREFUSED`))
      const logged = yield* Ref.get(lines)
      assert.strictEqual(logged.length, error.attempts)
      assert.match(logged[0]!, /^database not reachable at 127\.0\.0\.1:\d+\/dragonfly \(attempt 1\)/)
      for (const line of [...logged, error.message]) assert.notInclude(line, "hunter2-secret")
    }))

  it.live("makes a single attempt when the retry window is zero", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const error = yield* Layer.build(
        Database.layerFromOptions({
          url: Redacted.make(`postgresql://postgres:x@127.0.0.1:${port}/postgres`),
          poolSize: 1,
          applicationName: "test",
          retryWindow: 0
        })
      ).pipe(Effect.scoped, Effect.flip)
      if (error._tag !== "DatabaseUnavailable") return assert.fail(`expected DatabaseUnavailable, got ${error._tag}`)
      assert.strictEqual(error.attempts, 1)
    }))

  it.scopedLive("stops at once, without retrying, when the server refuses the password or the database", () =>
    Effect.gen(function*() {
      const good = new URL(Redacted.value(yield* TestDatabase.freshDatabase()))
      // A server that trusts local connections accepts any password, but not a role it lacks.
      const wrongCredentials = new URL(good)
      if (good.password === "") wrongCredentials.username = "no_such_role"
      else wrongCredentials.password = "wrong-secret-pw"
      const noDatabase = new URL(good)
      noDatabase.pathname = "/no_such_database"
      for (const [url, expected] of [
        [wrongCredentials, /^The database at .+ (rejected the credentials|refused the role) \(authentication failed; check the user/],
        [noDatabase, /^The database at .+\/no_such_database has no such database/]
      ] as const) {
        const lines = yield* Ref.make<ReadonlyArray<string>>([])
        const error = yield* Layer.build(
          Database.layerFromOptions({ url: Redacted.make(url.toString()), poolSize: 1, applicationName: "test", retryWindow: "30 seconds" })
        ).pipe(Effect.scoped, Effect.flip, Effect.provide(capturingLogger(lines)))
        assert.strictEqual(error._tag, "DatabaseRefused")
        assert.match(error.message, expected)
        assert.notInclude(error.message, "wrong-secret-pw")
        // no "not reachable" retries: the 30 s window was not waited out
        assert.deepStrictEqual(yield* Ref.get(lines), [])
      }
    }))

  it.live("names the application in pg_stat_activity and never prepares named statements", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ application_name: string }>`
        SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()`
      assert.strictEqual(rows[0]!.application_name, "test")
      yield* sql`SELECT ${1}::int AS one`
      const prepared = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements`
      assert.strictEqual(prepared[0]!.n, 0)
    }).pipe(Effect.provide(TestDatabase.layer({ poolSize: 1 }))))
})
