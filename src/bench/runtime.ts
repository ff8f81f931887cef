import { NodeRuntime } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { Console, Deferred, Duration, Effect, Either, Layer, Logger, LogLevel, Option, Ref, Schema } from "effect"
import { randomUUID } from "node:crypto"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Discord } from "../alerts/index.js"
import { WorkerConfig, type WorkerSettings } from "../config/index.js"
import * as Database from "../db/Database.js"
import { migrate } from "../db/Migrations.js"
import * as EmbeddedPostgres from "../dev/EmbeddedPostgres.js"
import * as Envelope from "../envelope/index.js"
import { PgmqQueue } from "../queue/PgmqQueue.js"
import { queueName } from "../queue/QueueName.js"
import * as WorkerRuntime from "../runtime/index.js"
import { IdempotencyLedger } from "../runtime/IdempotencyLedger.js"
import { JobHandler, makeJobHandler, noWrites, WorkerIdentity } from "../runtime/index.js"

/**
 * `npm run bench`: the worker runtime against a bare pgmq loop on the same embedded Postgres.
 * No-op jobs; the runtime does everything it does for real jobs (envelope decode, ledger check,
 * fenced group commit with ledger records and archive), the baseline only `read` + `archive`.
 */

/** Each measurement gets a fresh queue: a queue table full of dead rows would slow later runs. */
let benchQueue = queueName("bench_0")
let queueCount = 0
const freshQueue = Effect.flatMap(PgmqQueue, (pgmq) => {
  benchQueue = queueName(`bench_${++queueCount}`)
  return pgmq.create(benchQueue)
})
const ORG = "00000000-0000-4000-8000-0000000000be"

const settings = (concurrency: number): WorkerSettings => ({
  version: "bench",
  heartbeatInterval: Duration.seconds(5),
  discordWebhookUrl: Option.none(),
  concurrency,
  batchSize: 10,
  visibilityTimeoutSeconds: 30,
  maxAttempts: 5,
  idlePoll: Duration.millis(100),
  shutdownGrace: Duration.seconds(5),
  queueRefresh: Duration.seconds(30)
})

/** Resolves the Deferred registered for a job id when its handler starts (pickup latency). */
const pickups = new Map<string, Deferred.Deferred<number>>()

const BenchHandler = Layer.succeed(
  JobHandler,
  makeJobHandler({
    payload: Schema.Struct({ action: Schema.Literal("noop") }),
    handle: (job) =>
      Effect.sync(() => {
        const waiting = pickups.get(job.envelope.job_id)
        if (waiting) Deferred.unsafeDone(waiting, Effect.succeed(performance.now()))
        return noWrites
      })
  })
)

const worker = (concurrency: number) =>
  WorkerRuntime.layer({ _tag: "Queue", queue: benchQueue }).pipe(
    Layer.provide(BenchHandler),
    Layer.provide(Layer.succeed(WorkerConfig, settings(concurrency))),
    Layer.provide(Layer.succeed(WorkerIdentity, WorkerIdentity.make("bench"))),
    Layer.provide(Discord.layerNoop)
  )

const jobs = (n: number) =>
  Array.from({ length: n }, () =>
    Envelope.encode(Envelope.make({
      org_id: ORG,
      idempotency_key: randomUUID(),
      entity_type: "batch",
      entity_id: "bench",
      payload: { action: "noop" }
    })))

/** CPU seconds (user + system) of every process of the Postgres cluster. */
const postgresCpuSeconds = (postmasterPid: number) => {
  const ticks = 100
  const cpu = (pid: number) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
      return (Number(fields[11]) + Number(fields[12])) / ticks
    } catch {
      return 0
    }
  }
  const children = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1] === String(postmasterPid)
    } catch {
      return false
    }
  })
  return [postmasterPid, ...children].reduce((sum, pid) => sum + cpu(pid), 0)
}

interface Measure {
  readonly jobs: number
  readonly seconds: number
  readonly nodeCpuMicrosPerJob: number
  readonly pgCpuMicrosPerJob: number
  readonly commitsPerJob: number
}

const measured = <E, R>(n: number, postmasterPid: number, run: Effect.Effect<void, E, R>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const commits = sql<{ n: string }>`SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()`.pipe(
      Effect.map((rows) => Number(rows[0]!.n))
    )
    yield* sql`SELECT pg_stat_clear_snapshot()`
    const commitsBefore = yield* commits
    const pgBefore = postgresCpuSeconds(postmasterPid)
    const nodeBefore = process.cpuUsage()
    const started = performance.now()
    yield* run
    const seconds = (performance.now() - started) / 1000
    const node = process.cpuUsage(nodeBefore)
    const pg = postgresCpuSeconds(postmasterPid) - pgBefore
    yield* Effect.sleep("600 millis") // pg_stat_database is updated by backends at most every 500 ms
    yield* sql`SELECT pg_stat_clear_snapshot()`
    const commitsAfter = yield* commits
    return {
      jobs: n,
      seconds,
      nodeCpuMicrosPerJob: (node.user + node.system) / n,
      pgCpuMicrosPerJob: (pg * 1e6) / n,
      commitsPerJob: (commitsAfter - commitsBefore) / n
    } satisfies Measure
  })

const load = (n: number) =>
  Effect.flatMap(PgmqQueue, (pgmq) =>
    Effect.forEach(chunk(jobs(n), 1000), (batch) => pgmq.sendBatch(benchQueue, batch), { discard: true }))

const chunk = <A>(items: ReadonlyArray<A>, size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

const queueEmpty = Effect.flatMap(PgmqQueue, (pgmq) => Effect.map(pgmq.metrics(benchQueue), (m) => m.queueLength === 0))

const untilEmpty = Effect.gen(function*() {
  while (!(yield* queueEmpty)) yield* Effect.sleep("100 millis")
})

/** The baseline: one connection, read a batch, archive it, repeat until the queue is empty. */
const bareLoop = (batch: number) =>
  Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    while (true) {
      const messages = yield* pgmq.read(benchQueue, { visibilityTimeout: 30, quantity: batch })
      if (messages.length === 0) return
      yield* pgmq.archiveBatch(benchQueue, messages.map((m) => m.msgId))
    }
  })

/**
 * The second baseline: the runtime's own SQL (a read that checks the ledger, one statement that
 * records the keys and archives) in a plain loop, without fibers per job, leases or hand-offs.
 * The runtime's distance to it is the cost of its machinery; its distance to the bare loop is the
 * cost of idempotency.
 */
const ledgerLoop = (batch: number) =>
  Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    const ledger = yield* IdempotencyLedger
    while (true) {
      const read = yield* pgmq.readWithLedger(benchQueue, { visibilityTimeout: 30, quantity: batch })
      if (read.length === 0) return
      const entries = read.map(({ message }) => ({
        envelope: Envelope.decodeEither(message.message).pipe(Either.getOrThrow),
        queue: benchQueue,
        msgId: message.msgId,
        readCt: message.readCt
      }))
      yield* ledger.completeAndArchive(benchQueue, entries)
    }
  }).pipe(
    Effect.provide(IdempotencyLedger.Default.pipe(Layer.provide(Layer.succeed(WorkerIdentity, WorkerIdentity.make("bench")))))
  )

const throughputRun = (concurrency: number, n: number, postmasterPid: number) =>
  Effect.gen(function*() {
    const batch = Math.min(concurrency, 10)
    yield* freshQueue
    yield* load(n)
    const baseline = yield* measured(n, postmasterPid, bareLoop(batch))
    yield* freshQueue
    yield* load(n)
    const ledgerBaseline = yield* measured(n, postmasterPid, ledgerLoop(batch))
    yield* freshQueue
    yield* load(n)
    const rss = yield* Ref.make(0)
    const runtime = yield* measured(
      n,
      postmasterPid,
      Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(worker(concurrency))
        yield* Effect.raceFirst(
          untilEmpty,
          Effect.forever(Effect.zipRight(Ref.update(rss, (m) => Math.max(m, process.memoryUsage().rss)), Effect.sleep("100 millis")))
        )
      }))
    )
    return { concurrency, batch, baseline, ledgerBaseline, runtime, rssUnderLoad: yield* Ref.get(rss) }
  })

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

const pickupLatency = (samples: number) =>
  Effect.scoped(Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    yield* freshQueue
    yield* Layer.build(worker(10))
    yield* Effect.sleep("1 second")
    const idleRss = process.memoryUsage().rss
    const latencies: Array<number> = []
    for (let i = 0; i < samples; i++) {
      yield* Effect.sleep(Duration.millis(150 + Math.floor(Math.random() * 200)))
      const [message] = jobs(1)
      const picked = yield* Deferred.make<number>()
      pickups.set(message!.job_id!, picked)
      yield* pgmq.send(benchQueue, message)
      const sent = performance.now()
      const at = yield* Deferred.await(picked)
      latencies.push(at - sent)
      pickups.delete(message!.job_id!)
    }
    latencies.sort((a, b) => a - b)
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples, idleRss }
  }))

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 0)} MB`

const program = Effect.gen(function*() {
  const root = mkdtempSync(join(tmpdir(), "dragonfly-bench-"))
  const server = yield* EmbeddedPostgres.start({
    dataDir: join(root, "pgdata"),
    preferredPort: 55433,
    persistent: false,
    durability: "durable"
  })
  const postmasterPid = Number(readFileSync(join(root, "pgdata", "postmaster.pid"), "utf8").split("\n")[0])
  const database = Database.layerFromOptions({ url: server.url, poolSize: 10, applicationName: "bench" })
  const infrastructure = PgmqQueue.Default.pipe(Layer.provideMerge(database))

  return yield* Effect.gen(function*() {
    yield* migrate
    const sql = yield* SqlClient.SqlClient
    const [{ server_version: version }] = (yield* sql<{ server_version: string }>`SHOW server_version`) as [
      { server_version: string }
    ]
    yield* Console.log(`Dragonfly worker runtime benchmark: embedded PostgreSQL ${version}, Node ${process.version}, no-op jobs`)
    yield* Console.log("bare = a loop of pgmq.read + pgmq.archive(ids[]) with the same batch size, same database")
    yield* Console.log("ledger = the runtime's SQL in a plain loop: read with the ledger check + one statement recording keys and archiving\n")
    yield* Console.log(
      "concurrency  batch    jobs   runtime/s    bare/s  ledger/s  rt/bare  rt/ledger   node CPU µs/job (rt/ledger/bare)   pg CPU µs/job (rt/ledger/bare)   commits/job (rt/ledger/bare)"
    )
    let peakRss = 0
    const only = process.env.BENCH_ONLY === undefined ? undefined : Number(process.env.BENCH_ONLY)
    const runs: ReadonlyArray<readonly [number, number]> = only === undefined
      ? [[1, 3_000], [10, 20_000], [50, 20_000]]
      : [[only, Number(process.env.BENCH_JOBS ?? 5_000)]]
    for (const [concurrency, n] of runs) {
      const r = yield* throughputRun(concurrency, n, postmasterPid)
      peakRss = Math.max(peakRss, r.rssUnderLoad)
      const rate = (m: Measure) => m.jobs / m.seconds
      const three = (f: (m: Measure) => number, digits = 0) =>
        [r.runtime, r.ledgerBaseline, r.baseline].map((m) => fmt(f(m), digits)).join(" / ")
      yield* Console.log(
        [
          String(r.concurrency).padStart(11),
          String(r.batch).padStart(6),
          fmt(n).padStart(7),
          fmt(rate(r.runtime)).padStart(11),
          fmt(rate(r.baseline)).padStart(9),
          fmt(rate(r.ledgerBaseline)).padStart(9),
          `${fmt(rate(r.runtime) / rate(r.baseline), 2)}×`.padStart(8),
          `${fmt(rate(r.runtime) / rate(r.ledgerBaseline), 2)}×`.padStart(10),
          three((m) => m.nodeCpuMicrosPerJob).padStart(35),
          three((m) => m.pgCpuMicrosPerJob).padStart(32),
          three((m) => m.commitsPerJob, 2).padStart(30)
        ].join(" ")
      )
    }
    const latency = yield* pickupLatency(200)
    yield* Console.log(
      `\nidle pickup latency (send committed → handler starts, ${latency.samples} jobs, WORKER_IDLE_POLL_MS=100): p50 ${
        fmt(latency.p50, 1)
      } ms, p99 ${fmt(latency.p99, 1)} ms`
    )
    yield* Console.log(`worker process RSS: idle ${mb(latency.idleRss)}, under load (peak) ${mb(peakRss)}`)
  }).pipe(Effect.provide(infrastructure))
})

program.pipe(
  Effect.scoped,
  Effect.provide(Logger.minimumLogLevel(LogLevel.Warning)),
  NodeRuntime.runMain
)
