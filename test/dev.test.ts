import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import { dirname, join, relative } from "node:path"
import { latestMigrationId } from "../src/db/migrations/index.js"
import { catalogQueues } from "../src/queue/catalog.js"
import { adminQuery } from "./support/admin.js"
import { acceptsConnections } from "./support/net.js"
import { projectRoot, startNode } from "./support/processes.js"
import { eventually } from "./support/runtime.js"

const LOCAL_PASSWORD = "dragonfly-local"

/** Holds a port for the scope, so the dev stack has to pick another. */
const occupiedPort = Effect.acquireRelease(
  Effect.async<Net.Server>((resume) => {
    const server = Net.createServer().listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
  }),
  (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
).pipe(Effect.map((server) => (server.address() as Net.AddressInfo).port))

describe("dragonfly dev (npm start)", () => {
  it.scopedLive("brings up the embedded Postgres on a free port, migrates, keeps data, and stops cleanly on Ctrl-C", () =>
    Effect.gen(function*() {
      const root = mkdtempSync(join(tmpdir(), "dragonfly-dev-test-"))
      // relative, like the default `.dragonfly/pgdata`
      const dataDir = relative(projectRoot, join(root, "pgdata"))
      const busy = yield* occupiedPort

      const first = yield* startNode(["bin/dragonfly.js", "dev", "--data-dir", dataDir, "--pg-port", String(busy)])
      yield* first.waitFor(/ready; Ctrl-C stops everything/)
      const line = yield* first.waitFor(/postgres +postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:(\d+)\/dragonfly/)
      const port = Number(/:(\d+)\/dragonfly/.exec(line)![1])
      assert.notStrictEqual(port, busy)
      assert.include(first.output(), `applied 1_pgmq`)
      for (const service of ["ingest", "simplicity", "score", "enforcement", "comms"]) {
        assert.match(first.output(), new RegExp(`${service} +pid \\d+ +\\(node bin/worker\\.js ${service}\\)`))
      }
      // a fresh database gets the demo data, imported through the workers
      assert.include(first.output(), "seed        generic file: completed, 1,000 judgments")
      assert.include(first.output(), "seed        simplicity file: completed, 1,000 judgments")
      assert.match(first.output(), /api +pid \d+ +\(node bin\/api\.js\)/)
      assert.notInclude(first.output(), LOCAL_PASSWORD)

      const apiLine = yield* first.waitFor(/api url +http:\/\/127\.0\.0\.1:(\d+)/)
      const apiPort = Number(/:(\d+)/.exec(apiLine)![1])
      const key = readFileSync(join(projectRoot, dirname(dataDir), "api-key"), "utf8").trim()
      assert.notInclude(first.output(), key)
      const health = yield* Effect.promise(() => fetch(`http://127.0.0.1:${apiPort}/health`))
      assert.strictEqual(health.status, 200)
      const queuesResponse = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${apiPort}/v1/queues`, { headers: { "x-api-key": key } })
      )
      assert.strictEqual(queuesResponse.status, 200)

      const url = `postgresql://postgres:${LOCAL_PASSWORD}@127.0.0.1:${port}/dragonfly`
      const migrations = yield* Effect.promise(() => adminQuery(url, "SELECT count(*)::int AS n FROM dragonfly_migrations"))
      assert.strictEqual(migrations.rows[0].n, latestMigrationId)
      const queues = yield* Effect.promise(() => adminQuery(url, "SELECT queue_name FROM pgmq.list_queues()"))
      assert.includeMembers(queues.rows.map((row) => row.queue_name), [...catalogQueues])
      const demo = yield* Effect.promise(() =>
        adminQuery(url, "SELECT count(*)::int AS n FROM dragonfly.judgments WHERE plaintiff_id = '12345'")
      )
      assert.isAbove(demo.rows[0].n, 0)
      yield* Effect.promise(() => adminQuery(url, "CREATE TABLE kept_between_runs (id int)"))
      const running = () =>
        adminQuery(url, "SELECT service, status FROM workers.heartbeats WHERE service = 'score' ORDER BY started_at DESC LIMIT 1")
      yield* eventually(Effect.map(Effect.promise(running), (rows) => rows.rows[0]?.status === "running"), "20 seconds")

      first.child.kill("SIGINT")
      const stopped = yield* first.finished
      assert.strictEqual(stopped.code, 0)
      assert.isFalse(yield* acceptsConnections(port))
      assert.isFalse(yield* acceptsConnections(apiPort))

      const second = yield* startNode(["bin/dragonfly.js", "dev", "--data-dir", dataDir, "--pg-port", String(port)])
      yield* second.waitFor(/ready; Ctrl-C stops everything/)
      assert.include(second.output(), "migrations  up to date")
      assert.include(second.output(), "seed        skipped: the database has data")
      // the generated key is kept between runs
      assert.include(second.output(), `key ${key.slice(0, 6)}`)
      // the worker drained and said so before the dev stack stopped Postgres
      const lastRun = yield* Effect.promise(() =>
        adminQuery(url, "SELECT service, status FROM workers.heartbeats WHERE service = 'score' ORDER BY started_at")
      )
      assert.deepStrictEqual(lastRun.rows[0], { service: "score", status: "stopped" })
      const kept = yield* Effect.promise(() => adminQuery(url, "SELECT to_regclass('kept_between_runs') IS NOT NULL AS kept"))
      assert.isTrue(kept.rows[0].kept)
      second.child.kill("SIGTERM")
      assert.strictEqual((yield* second.finished).code, 0)
      assert.isFalse(yield* acceptsConnections(port))
    }), 240_000)
})

