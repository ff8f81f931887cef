import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { SqlClient } from "@effect/sql"
import { Console, Duration, Effect, Layer, Logger, LogLevel, Redacted, Schedule } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pipeline } from "node:stream/promises"
import { fileURLToPath } from "node:url"
import * as Database from "../db/Database.js"
import { migrate } from "../db/Migrations.js"
import * as EmbeddedPostgres from "../dev/EmbeddedPostgres.js"
import { SimplicityColumns } from "../domain/imports/columns.js"
import * as Envelope from "../envelope/index.js"
import { JobRequests } from "../jobs/JobRequests.js"
import { PgmqQueue } from "../queue/PgmqQueue.js"
import { queueName } from "../queue/QueueName.js"

/**
 * `npm run bench:ingest` (and the last part of `npm run bench`): a Simplicity file of
 * BENCH_INGEST_ROWS synthetic judgments (default 1,000,000) imported by a real
 * `node bin/worker.js simplicity` process, which reads it from a local stand-in for Supabase
 * Storage, beside the floor: a plain `COPY` of the same file into a bare table of text columns on
 * the same database (psql `\copy`, i.e. COPY FROM STDIN). Rows/s, CPU per row of the client
 * process and of Postgres, and peak RSS of the client process.
 * For a look inside (these slow the import down): `BENCH_INGEST_WORKER_NODE_ARGS` are given to the
 * worker's node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", split on spaces), and
 * `BENCH_INGEST_STATEMENTS=1` loads pg_stat_statements and prints the import's costliest statements.
 */

const ROWS = Number(process.env["BENCH_INGEST_ROWS"] ?? 1_000_000)
const WORKER_NODE_ARGS = (process.env["BENCH_INGEST_WORKER_NODE_ARGS"] ?? "").split(" ").filter((arg) => arg !== "")
const STATEMENTS = process.env["BENCH_INGEST_STATEMENTS"] === "1"
const SEED = 20_261_129
const PLAINTIFFS = 200
const AS_OF = "2026-06-15"
const DATABASE = "dragonfly_bench"
const ORG = "00000000-0000-4000-8000-0000000000be"
const QUEUE = queueName("simplicity_import")
const BUCKET = "bench-imports"
const OBJECT_PATH = `bench/simplicity-${ROWS}.csv`
const SERVICE_ROLE_KEY = "bench-service-role-key-0123456789abcdef"
const PSQL = "/usr/bin/psql"
const AIM_ROWS_PER_SECOND = 50_000
const AIM_PEAK_RSS_BYTES = 300 * 1024 * 1024
const SAMPLE_EVERY = Duration.millis(200)
const GIVE_UP_AFTER = Duration.minutes(60)

const workerScript = fileURLToPath(new URL("../../bin/worker.js", import.meta.url))

// --- /proc ---------------------------------------------------------------------------------------

const TICKS_PER_SECOND = 100

const statFields = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  } catch {
    return undefined
  }
}

/** CPU seconds (user + system, all threads) a process has used so far; NaN once it is gone. */
const cpuSeconds = (pid: number) => {
  const fields = statFields(pid)
  return fields === undefined ? Number.NaN : (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
}

/** `VmRSS` (now) or `VmHWM` (peak since the process started), in bytes; 0 once it is gone. */
const memory = (pid: number, field: "VmRSS" | "VmHWM") => {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`))
    return line === undefined ? 0 : Number(line.split(/\s+/)[1]) * 1024
  } catch {
    return 0
  }
}

const postgresPids = (postmasterPid: number) => [
  postmasterPid,
  ...readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) =>
    statFields(pid)?.[1] === String(postmasterPid)
  )
]

/**
 * CPU of the whole Postgres cluster over a measurement. Sampled while it runs, so that backends
 * and autovacuum workers that start and exit in between are counted up to their last sample
 * (a one-off `/proc` sum before and after would miss them).
 */
const postgresCpu = (postmasterPid: number) => {
  const baseline = new Map<number, number>()
  const latest = new Map<number, number>()
  const sample = () => {
    for (const pid of postgresPids(postmasterPid)) {
      const cpu = cpuSeconds(pid)
      if (Number.isNaN(cpu)) continue
      latest.set(pid, cpu)
    }
  }
  for (const pid of postgresPids(postmasterPid)) {
    const cpu = cpuSeconds(pid)
    if (!Number.isNaN(cpu)) baseline.set(pid, cpu)
  }
  return {
    sample,
    /** CPU seconds used since the tracker was made. */
    total: () => {
      sample()
      let sum = 0
      for (const [pid, cpu] of latest) sum += cpu - (baseline.get(pid) ?? 0)
      return sum
    }
  }
}

/** Runs `tick` every SAMPLE_EVERY until the scope closes. */
const sampleEvery = (tick: () => void) =>
  Effect.sync(tick).pipe(Effect.repeat(Schedule.spaced(SAMPLE_EVERY)), Effect.forkScoped)

// --- the file ------------------------------------------------------------------------------------

/** The Simplicity CSV of ROWS synthetic judgments, streamed to `path`; its size in bytes. */
const writeCsv = (path: string) =>
  Effect.tryPromise({
    try: async () => {
      const synthetic = await import("../domain/synthetic/index.js")
      const out = createWriteStream(path)
      const rows = synthetic.generateRows({ seed: SEED, plaintiffs: PLAINTIFFS, judgments: ROWS, asOf: AS_OF })
      let pending = ""
      for (const line of synthetic.csvLines("simplicity", rows)) {
        pending += line
        if (pending.length >= 1 << 20) {
          if (!out.write(pending)) await once(out, "drain")
          pending = ""
        }
      }
      out.end(pending)
      await once(out, "finish")
      return statSync(path).size
    },
    catch: (cause) => new Error(`could not write the CSV (the generator needs @faker-js/faker): ${String(cause)}`)
  })

// --- Supabase Storage stand-in ---------------------------------------------------------------------

/**
 * `GET /storage/v1/object/<bucket>/<path>` for the one object, streamed from disk, with the
 * headers FileStore sends (`Authorization: Bearer <key>`, `apikey: <key>`); Supabase-style
 * JSON errors otherwise.
 */
const storageServer = (file: string) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Server; readonly port: number; readonly downloads: () => number }>((resume) => {
      let downloads = 0
      const size = statSync(file).size
      const server = createServer((request, response) => {
        const fail = (status: number, body: Record<string, string>) => {
          response.writeHead(status, { "content-type": "application/json" })
          response.end(JSON.stringify(body))
        }
        const prefix = "/storage/v1/object/"
        const pathname = new URL(request.url ?? "/", "http://storage").pathname
        if (request.method !== "GET" || !pathname.startsWith(prefix)) {
          return fail(404, { statusCode: "404", error: "not_found", message: "no such route" })
        }
        if (request.headers["authorization"] !== `Bearer ${SERVICE_ROLE_KEY}` || request.headers["apikey"] !== SERVICE_ROLE_KEY) {
          return fail(403, { statusCode: "403", error: "Unauthorized", message: "invalid signature" })
        }
        const [bucket, ...segments] = pathname.slice(prefix.length).split("/").map(decodeURIComponent)
        if (bucket !== BUCKET || segments.join("/") !== OBJECT_PATH) {
          return fail(400, { statusCode: "404", error: "not_found", message: "Object not found" })
        }
        downloads++
        response.writeHead(200, { "content-type": "text/csv", "content-length": String(size) })
        pipeline(createReadStream(file), response).catch(() => response.destroy())
      })
      server.listen({ port: 0, host: "127.0.0.1" }, () =>
        resume(Effect.succeed({ server, port: (server.address() as AddressInfo).port, downloads: () => downloads })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

// --- the import worker ---------------------------------------------------------------------------

/** `node bin/worker.js simplicity` as a child process, stopped (SIGTERM) with the scope. */
const startWorker = (dbUrl: Redacted.Redacted<string>, storagePort: number) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      spawn(process.execPath, [...WORKER_NODE_ARGS, workerScript, "simplicity"], {
        env: {
          PATH: process.env["PATH"] ?? "",
          SUPABASE_DB_URL: Redacted.value(dbUrl),
          SUPABASE_MODE: "dev",
          ENVIRONMENT: "development",
          LOG_LEVEL: "warn",
          SUPABASE_URL: `http://127.0.0.1:${storagePort}`,
          SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
          SUPABASE_STORAGE_BUCKET: BUCKET,
          ...(process.env["IMPORT_TRACE"] ? { IMPORT_TRACE: "1" } : {})
        },
        stdio: ["ignore", "inherit", "inherit"]
      })
    ),
    (child) =>
      Effect.async<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
        child.kill("SIGTERM")
      })
  )

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

/** Until the worker's heartbeat says `running` (queues resolved, loops started). */
const untilRunning = (child: ChildProcess) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const deadline = Date.now() + 60_000
    while (true) {
      if (exited(child)) return yield* Effect.fail(new Error(`the worker exited (code ${child.exitCode}) while starting`))
      const rows = yield* sql<{ readonly status: string }>`
        SELECT status FROM workers.heartbeats WHERE pid = ${child.pid!} AND ${QUEUE} = ANY(queues)`
      if (rows.some((row) => row.status === "running")) return
      if (Date.now() > deadline) return yield* Effect.fail(new Error("the worker did not start within 60 seconds"))
      yield* Effect.sleep("100 millis")
    }
  })

interface BatchRow {
  readonly status: string
  readonly rows_read: number
  readonly rows_blank: number
  readonly inserted: number
  readonly updated: number
  readonly unchanged: number
  readonly quarantined: number
  readonly rows_committed: number
  readonly deliveries: number
  readonly errors: unknown
}

const batchRow = (batchId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<BatchRow>`
      SELECT status, rows_read::int, rows_blank::int, inserted::int, updated::int, unchanged::int, quarantined::int,
             rows_committed::int, deliveries::int, errors
      FROM dragonfly.import_batches WHERE id = ${batchId}::uuid`.pipe(Effect.map((rows) => rows[0])))

const archived = (msgId: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM pgmq.a_simplicity_import WHERE msg_id = ${msgId}`.pipe(
      Effect.map((rows) => rows[0]!.n > 0)
    ))

interface Measure {
  readonly rows: number
  readonly seconds: number
  readonly clientCpuSeconds: number
  readonly pgCpuSeconds: number
  readonly peakRss: number
}

const importRun = (postmasterPid: number, dbUrl: Redacted.Redacted<string>, storagePort: number) =>
  Effect.scoped(Effect.gen(function*() {
    const jobs = yield* JobRequests
    const child = yield* startWorker(dbUrl, storagePort)
    const pid = child.pid!
    yield* untilRunning(child)
    yield* Effect.sleep("1 second")
    const idleRss = memory(pid, "VmRSS")
    const pg = postgresCpu(postmasterPid)
    let sampledPeak = idleRss
    yield* sampleEvery(() => {
      pg.sample()
      sampledPeak = Math.max(sampledPeak, memory(pid, "VmRSS"))
    })
    const envelope = Envelope.make({
      org_id: ORG,
      idempotency_key: `bench:ingest:${Date.now()}`,
      entity_type: "batch",
      entity_id: "bench-ingest",
      payload: { file_path: OBJECT_PATH, source: "simplicity", row_count: ROWS }
    })
    const cpuBefore = cpuSeconds(pid)
    const started = performance.now()
    const enqueued = yield* jobs.enqueue(QUEUE, envelope).pipe(Effect.orDie)
    let lastReport = started
    while (true) {
      if (exited(child)) return yield* Effect.fail(new Error(`the worker exited (code ${child.exitCode}) during the import`))
      const batch = yield* batchRow(envelope.job_id)
      if (batch !== undefined && batch.status !== "running" && (yield* archived(enqueued.msgId))) break
      if (performance.now() - started > Duration.toMillis(GIVE_UP_AFTER)) {
        return yield* Effect.fail(new Error(`the import did not finish within ${Duration.format(GIVE_UP_AFTER)}`))
      }
      if (performance.now() - lastReport > 15_000) {
        lastReport = performance.now()
        yield* Console.error(
          `  … ${fmt((lastReport - started) / 1000)} s: ${fmt(batch?.rows_committed ?? 0)} rows committed, worker RSS ${
            mb(memory(pid, "VmRSS"))
          }`
        )
      }
      yield* Effect.sleep("100 millis")
    }
    const seconds = (performance.now() - started) / 1000
    const clientCpuSeconds = cpuSeconds(pid) - cpuBefore
    const pgCpuSeconds = pg.total()
    const peakRss = Math.max(memory(pid, "VmHWM"), sampledPeak)
    const batch = (yield* batchRow(envelope.job_id))!
    return { rows: ROWS, seconds, clientCpuSeconds, pgCpuSeconds, peakRss, idleRss, batch }
  }))

// --- the floor: COPY -----------------------------------------------------------------------------

/**
 * psql reading commands from a pipe. `run` sends a command followed by `\warn <marker>` and waits
 * for the marker on stderr (unbuffered), so the session, its backend and their CPU counters
 * outlive the command being measured.
 */
const startPsql = (dbUrl: Redacted.Redacted<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const url = new URL(Redacted.value(dbUrl))
      const child = spawn(
        PSQL,
        ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", url.hostname, "-p", url.port, "-U", decodeURIComponent(url.username), "-d",
          decodeURIComponent(url.pathname.slice(1))],
        {
          env: { PATH: process.env["PATH"] ?? "", PGPASSWORD: decodeURIComponent(url.password) },
          stdio: ["pipe", "ignore", "pipe"]
        }
      )
      let stderr = ""
      const waiting = new Map<string, () => void>()
      child.stderr!.setEncoding("utf8").on("data", (text: string) => {
        stderr += text
        for (const [marker, done] of waiting) {
          if (stderr.includes(marker)) {
            waiting.delete(marker)
            done()
          }
        }
      })
      let count = 0
      const run = (command: string) =>
        Effect.async<void, Error>((resume) => {
          const marker = `BENCH_PSQL_DONE_${++count}`
          const onExit = () =>
            resume(Effect.fail(new Error(`psql exited (code ${child.exitCode}): ${stderr.trim().slice(-2000)}`)))
          child.once("exit", onExit)
          waiting.set(marker, () => {
            child.removeListener("exit", onExit)
            resume(Effect.void)
          })
          child.stdin!.write(`${command}\n\\warn ${marker}\n`)
        })
      return { child, run }
    }),
    ({ child }) =>
      Effect.async<void>((resume) => {
        if (exited(child)) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
        child.stdin!.end("\\q\n")
      })
  )

const copyRun = (postmasterPid: number, dbUrl: Redacted.Redacted<string>, file: string) =>
  Effect.scoped(Effect.gen(function*() {
    if (!existsSync(PSQL)) return yield* Effect.fail(new Error(`${PSQL} is needed for the COPY floor (apt-get install postgresql-client)`))
    const sql = yield* SqlClient.SqlClient
    yield* sql`DROP TABLE IF EXISTS bench_copy`
    yield* sql`CREATE TABLE bench_copy (${sql.literal(SimplicityColumns.map((c) => `${c} text`).join(", "))})
      WITH (autovacuum_enabled = false)`
    yield* sql`CHECKPOINT`
    const psql = yield* startPsql(dbUrl)
    const pid = psql.child.pid!
    yield* psql.run("SELECT 1")
    const pg = postgresCpu(postmasterPid)
    yield* sampleEvery(pg.sample)
    const cpuBefore = cpuSeconds(pid)
    const started = performance.now()
    yield* psql.run(`\\copy bench_copy FROM '${file.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`)
    const seconds = (performance.now() - started) / 1000
    const clientCpuSeconds = cpuSeconds(pid) - cpuBefore
    const pgCpuSeconds = pg.total()
    const peakRss = memory(pid, "VmHWM")
    const [{ n: copied }] = (yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM bench_copy`) as [{ n: number }]
    return { rows: ROWS, seconds, clientCpuSeconds, pgCpuSeconds, peakRss, copied }
  }))

const costliestStatements = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ readonly query: string; readonly calls: number; readonly total_ms: number; readonly rows: number }>`
    SELECT query, calls::int, total_exec_time::float8 AS total_ms, rows::int
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    ORDER BY total_exec_time DESC LIMIT 10`)

// --- report --------------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 0)} MB`

const line = (label: string, m: Measure) =>
  [
    label.padEnd(14),
    fmt(m.rows).padStart(10),
    fmt(m.seconds, 1).padStart(8),
    fmt(m.rows / m.seconds).padStart(10),
    fmt((m.clientCpuSeconds * 1e6) / m.rows, 1).padStart(18),
    fmt((m.pgCpuSeconds * 1e6) / m.rows, 1).padStart(14),
    mb(m.peakRss).padStart(10)
  ].join(" ")

const program = Effect.gen(function*() {
  if (!Number.isInteger(ROWS) || ROWS < 1) return yield* Effect.fail(new Error("BENCH_INGEST_ROWS must be a whole number ≥ 1"))
  const root = mkdtempSync(join(tmpdir(), "dragonfly-bench-ingest-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(root, { recursive: true, force: true })))
  const file = join(root, "simplicity.csv")

  const generationStarted = performance.now()
  const bytes = yield* writeCsv(file)
  const generationSeconds = (performance.now() - generationStarted) / 1000

  const server = yield* EmbeddedPostgres.start({
    dataDir: join(root, "pgdata"),
    preferredPort: 55435,
    persistent: false,
    durability: "durable"
  })
  yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.zipRight(
      sql`CREATE DATABASE ${sql(DATABASE)}`,
      STATEMENTS ? sql`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'` : Effect.void
    )).pipe(Effect.provide(Database.layerFromOptions({ url: server.url, poolSize: 1, applicationName: "bench" })))
  if (STATEMENTS) yield* server.restart("fast")
  const postmasterPid = Number(readFileSync(join(root, "pgdata", "postmaster.pid"), "utf8").split("\n")[0])
  const dbUrl = server.urlFor(DATABASE)
  const database = Database.layerFromOptions({ url: dbUrl, poolSize: 2, applicationName: "bench" })
  const infrastructure = JobRequests.Default.pipe(Layer.provideMerge(PgmqQueue.Default), Layer.provideMerge(database))
  const storage = yield* storageServer(file)

  yield* Effect.gen(function*() {
    yield* migrate
    const sql = yield* SqlClient.SqlClient
    const [{ server_version: version }] = (yield* sql<{ server_version: string }>`SHOW server_version`) as [
      { server_version: string }
    ]
    yield* Console.log(
      `Dragonfly ingest benchmark: embedded PostgreSQL ${version} (durable), Node ${process.version}, ${fmt(ROWS)} Simplicity rows`
    )
    yield* Console.log(
      `file: ${fmt(bytes / 1024 / 1024, 1)} MiB, ${PLAINTIFFS} plaintiffs, seed ${SEED}; generated in ${
        fmt(generationSeconds, 1)
      } s (not measured)`
    )
    yield* Console.log(
      "import worker = node bin/worker.js simplicity (its own process), the file from a local Supabase Storage stand-in over HTTP"
    )
    yield* Console.log("COPY (floor)  = psql \\copy (COPY FROM STDIN, csv) into a bare table of text columns, same database")
    yield* Console.log("client = the worker process or psql; PG = every process of the cluster; wall = enqueue → batch finished\n")

    const copy = yield* copyRun(postmasterPid, dbUrl, file)
    yield* sql`CHECKPOINT`
    if (STATEMENTS) yield* sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`.pipe(Effect.zipRight(sql`SELECT pg_stat_statements_reset()`))
    const imported = yield* importRun(postmasterPid, dbUrl, storage.port)
    const statements = STATEMENTS ? yield* costliestStatements : []

    yield* Console.log(
      ["".padEnd(14), "rows".padStart(10), "wall s".padStart(8), "rows/s".padStart(10), "client CPU µs/row".padStart(18),
        "PG CPU µs/row".padStart(14), "peak RSS".padStart(10)].join(" ")
    )
    yield* Console.log(line("import worker", imported))
    yield* Console.log(line("COPY (floor)", copy))

    const importRate = imported.rows / imported.seconds
    const copyRate = copy.rows / copy.seconds
    const cpuPerRow = (m: Measure) => ((m.clientCpuSeconds + m.pgCpuSeconds) * 1e6) / m.rows
    yield* Console.log(
      `\nimport / COPY: ${fmt(importRate / copyRate, 3)}× the rate (COPY is ${fmt(copyRate / importRate, 1)}× faster); CPU per row ${
        fmt(cpuPerRow(imported) / cpuPerRow(copy), 1)
      }× (client + PG: ${fmt(cpuPerRow(imported), 1)} vs ${fmt(cpuPerRow(copy), 1)} µs)`
    )
    yield* Console.log(
      `worker RSS idle ${mb(imported.idleRss)}, peak ${mb(imported.peakRss)}; CPU busy ${
        fmt(((imported.clientCpuSeconds + imported.pgCpuSeconds) / imported.seconds) * 100, 0)
      }% of one core (worker ${fmt((imported.clientCpuSeconds / imported.seconds) * 100, 0)}%, PG ${
        fmt((imported.pgCpuSeconds / imported.seconds) * 100, 0)
      }%); downloads of the file: ${storage.downloads()}`
    )
    const rateMet = importRate >= AIM_ROWS_PER_SECOND
    const rssMet = imported.peakRss <= AIM_PEAK_RSS_BYTES
    yield* Console.log(
      `aims: ≥ ${fmt(AIM_ROWS_PER_SECOND)} rows/s ${rateMet ? "met" : "NOT met"} (${fmt(importRate)}); ≤ ${
        mb(AIM_PEAK_RSS_BYTES)
      } peak RSS ${rssMet ? "met" : "NOT met"} (${mb(imported.peakRss)})`
    )

    if (statements.length > 0) {
      yield* Console.log("\ncostliest statements during the import (pg_stat_statements, top level; its overhead included):")
      yield* Console.log("   total s      calls    mean ms        rows  statement")
      for (const st of statements) {
        yield* Console.log(
          `${fmt(st.total_ms / 1000, 1).padStart(10)} ${fmt(st.calls).padStart(10)} ${fmt(st.total_ms / st.calls, 2).padStart(10)} ${
            fmt(st.rows).padStart(11)
          }  ${st.query.replace(/\s+/g, " ").slice(0, 110)}`
        )
      }
    }
    const b = imported.batch
    const problems = [
      ...(b.status === "completed" ? [] : [`status ${b.status}`]),
      ...(b.rows_read === ROWS ? [] : [`rows_read ${b.rows_read}`]),
      ...(b.inserted === ROWS ? [] : [`inserted ${b.inserted}`]),
      ...(b.quarantined === 0 ? [] : [`quarantined ${b.quarantined}`]),
      ...(copy.copied === ROWS ? [] : [`COPY loaded ${copy.copied} rows`])
    ]
    if (problems.length > 0) {
      yield* Console.log(
        `\nWARNING: expected a completed batch with rows_read = inserted = ${ROWS} and nothing quarantined; got ${
          problems.join(", ")
        } (updated ${b.updated}, unchanged ${b.unchanged}, blank ${b.rows_blank}; errors ${JSON.stringify(b.errors)})`
      )
    }
    if (b.deliveries !== 1 || storage.downloads() !== 1) {
      yield* Console.log(
        `\nWARNING: the job was delivered ${b.deliveries} times and the file downloaded ${storage.downloads()} times: a delivery lost its lease and the next one resumed from the batch's checkpoint (the worker's log above says why)`
      )
    }
  }).pipe(Effect.provide(infrastructure))
})

program.pipe(
  Effect.scoped,
  Effect.provide(Logger.minimumLogLevel(LogLevel.Warning)),
  NodeRuntime.runMain
)
