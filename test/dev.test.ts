import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { latestMigrationId } from "../src/db/migrations/index.js"
import { catalogQueues } from "../src/queue/catalog.js"
import { adminQuery } from "./support/admin.js"
import { acceptsConnections } from "./support/net.js"
import { projectRoot, runNode, startNode } from "./support/processes.js"
import { eventually } from "./support/runtime.js"

const LOCAL_PASSWORD = "dragonfly-local"

/** Holds the port (any free one for 0) for the scope; a port something else holds already is busy too. */
const occupyPort = (wanted: number) =>
  Effect.acquireRelease(
    Effect.async<Net.Server | undefined>((resume) => {
      const server = Net.createServer()
      server.once("error", () => resume(Effect.succeed(undefined)))
      server.listen(wanted, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) => Effect.async<void>((resume) => (server === undefined ? resume(Effect.void) : void server.close(() => resume(Effect.void))))
  ).pipe(Effect.map((server) => (server === undefined ? wanted : (server.address() as Net.AddressInfo).port)))

/** The dev stack's Postgres runs in a process group of its own: killed with the scope if the test fails. */
const killPostgresOnFailure = (pid: number) =>
  Effect.addFinalizer(() =>
    Effect.sync(() => {
      try {
        process.kill(-pid, "SIGKILL")
      } catch {
        // stopped already
      }
    })
  )

describe("dragonfly dev (npm start)", () => {
  it.scopedLive("brings up the embedded Postgres, migrates, keeps data, serves the CLI, and stops in order on Ctrl-C", () =>
    Effect.gen(function*() {
      const root = mkdtempSync(join(tmpdir(), "dragonfly-dev-test-"))
      // relative, like the default `.dragonfly`
      const stackDir = relative(projectRoot, join(root, "stack"))
      const busy = yield* occupyPort(0)

      // A port asked for by name is refused, not replaced.
      const refused = yield* runNode(["bin/dragonfly.js", "dev", "--data-dir", stackDir, "--api-port", String(busy)])
      assert.strictEqual(refused.code, 1)
      assert.include(refused.stderr, `port ${busy} is in use (--api-port)`)

      // The default ports, when taken, are replaced by free ones.
      yield* occupyPort(54329)
      yield* occupyPort(8080)
      const first = yield* startNode(["bin/dragonfly.js", "dev", "--data-dir", stackDir])
      const line = yield* first.waitFor(/postgres +postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:(\d+)\/dragonfly +\(pid (\d+)/)
      const [, pgPort, postgresPid] = /:(\d+)\/dragonfly +\(pid (\d+)/.exec(line)!
      yield* killPostgresOnFailure(Number(postgresPid))
      yield* first.waitFor(/ready; Ctrl-C stops everything/)
      const port = Number(pgPort)
      assert.notStrictEqual(port, 54329)
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
      assert.notStrictEqual(apiPort, 8080)
      // the key, the outbox and the stack file are kept in the stack directory
      const key = readFileSync(join(projectRoot, stackDir, "api-key"), "utf8").trim()
      assert.notInclude(first.output(), key)
      assert.isTrue(existsSync(join(projectRoot, stackDir, "pgdata", "PG_VERSION")))
      const health = yield* Effect.promise(() => fetch(`http://127.0.0.1:${apiPort}/health`))
      assert.strictEqual(health.status, 200)
      const queuesResponse = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${apiPort}/v1/queues`, { headers: { "x-api-key": key } })
      )
      assert.strictEqual(queuesResponse.status, 200)

      // The CLI finds the stack without SUPABASE_DB_URL, and says which database it uses.
      const inspected = yield* runNode(["bin/dragonfly.js", "queue", "inspect"], { DRAGONFLY_DEV_DIR: stackDir })
      assert.strictEqual(inspected.code, 0, inspected.stderr)
      assert.include(
        inspected.stderr,
        `using the dev stack's database postgresql://postgres:***@127.0.0.1:${port}/dragonfly (from ${join(root, "stack", "stack.json")})`
      )
      assert.match(inspected.stdout, /score_collectability +\d+/)
      assert.notInclude(inspected.stdout + inspected.stderr, LOCAL_PASSWORD)

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
      const runningServices = () =>
        adminQuery(url, "SELECT count(DISTINCT service)::int AS n FROM workers.heartbeats WHERE status = 'running'")
      yield* eventually(Effect.map(Effect.promise(runningServices), (result) => result.rows[0]?.n === 5), "60 seconds")

      // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
      process.kill(-first.child.pid!, "SIGINT")
      const stopped = yield* first.finished
      assert.strictEqual(stopped.code, 0)
      const shutdown = stopped.stdout.slice(stopped.stdout.indexOf("stopping: the services drain first, then Postgres"))
      assert.include(shutdown, "stopping: the services drain first")
      for (const service of ["api", "ingest", "simplicity", "score", "enforcement", "comms"]) {
        assert.match(shutdown, new RegExp(`${service} +stopped \\(exit code 0\\)`))
      }
      // Postgres stopped last, after every service had let go of it.
      assert.match(shutdown, /comms +stopped[\s\S]*postgres +stopped\nstopped\n/)
      assert.notInclude(stopped.stdout + stopped.stderr, "terminating connection due to administrator command")
      assert.isFalse(existsSync(join(projectRoot, stackDir, "stack.json")))
      assert.isFalse(yield* acceptsConnections(port))
      assert.isFalse(yield* acceptsConnections(apiPort))

      const second = yield* startNode(["bin/dragonfly.js", "dev", "--data-dir", stackDir, "--pg-port", String(port)])
      const secondLine = yield* second.waitFor(/postgres +postgresql:\S+ +\(pid (\d+)/)
      yield* killPostgresOnFailure(Number(/\(pid (\d+)/.exec(secondLine)![1]))
      yield* second.waitFor(/ready; Ctrl-C stops everything/)
      assert.include(second.output(), "migrations  up to date")
      assert.include(second.output(), "seed        skipped: the database has data")
      // the generated key is kept between runs
      assert.include(second.output(), `key ${key.slice(0, 6)}`)
      // every worker of the first run drained and said so before the dev stack stopped Postgres
      const firstRun = yield* Effect.promise(() =>
        adminQuery(url, "SELECT DISTINCT ON (service) service, status FROM workers.heartbeats ORDER BY service, started_at")
      )
      assert.deepStrictEqual(
        firstRun.rows,
        ["comms", "enforcement", "ingest", "score", "simplicity"].map((service) => ({ service, status: "stopped" }))
      )
      const kept = yield* Effect.promise(() => adminQuery(url, "SELECT to_regclass('kept_between_runs') IS NOT NULL AS kept"))
      assert.isTrue(kept.rows[0].kept)
      second.child.kill("SIGTERM")
      assert.strictEqual((yield* second.finished).code, 0)
      assert.isFalse(yield* acceptsConnections(port))
    }), 300_000)
})
