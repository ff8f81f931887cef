import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Console, Deferred, Duration, Effect, Either, Layer, Logger, LogLevel, Option, Redacted, Ref, Schema, Stream } from "effect"
import { randomUUID } from "node:crypto"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Discord } from "../alerts/index.js"
import { WorkerConfig, type WorkerSettings } from "../config/index.js"
import * as Database from "../db/Database.js"
import { migrate } from "../db/Migrations.js"
import * as EmbeddedPostgres from "../dev/EmbeddedPostgres.js"
import * as Envelope from "../envelope/index.js"
import { JobNotifications } from "../queue/JobNotifications.js"
import { CHANNEL, PgmqQueue } from "../queue/PgmqQueue.js"
import { queueName } from "../queue/QueueName.js"
import * as WorkerRuntime from "../runtime/index.js"
import { IdempotencyLedger } from "../runtime/IdempotencyLedger.js"
import { JobHandler, makeJobHandler, noWrites, WorkerIdentity } from "../runtime/index.js"
import { jobsPerSecond, type Measure, measured, postgresCpuSeconds } from "./measure.js"
import { measurePeers, type PeerResult } from "./peers.js"

/**
 * `npm run bench`: the worker runtime against a bare pgmq loop on the same embedded Postgres.
 * No-op jobs; the runtime does everything it does for real jobs (envelope decode, ledger check,
 * fenced group commit with ledger records and archive), the baseline only `read` + `archive`.
 * At C ≥ 10 it also drains the same jobs with the peer baselines of `peers.ts` (plain SQL at C
 * connections, graphile-worker, pg-boss) and prints them beside the runtime with the ratio.
 * BENCH_PEER_JOBS lowers N for the peers only; BENCH_PEERS=0 skips them.
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
  heartbeatRetention: Duration.days(7),
  metricsPort: Option.none(),
  metricsToken: Option.none(),
  discordWebhookUrl: Option.none(),
  concurrency,
  batchSize: Number(process.env.BENCH_BATCH ?? 200),
  visibilityTimeoutSeconds: 30,
  maxAttempts: 5,
  idlePoll: Duration.millis(100),
  shutdownGrace: Duration.seconds(5),
  queueRefresh: Duration.seconds(30),
  listen: "auto"
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

/** Notifications of sends, as `node bin/worker.js` has them with WORKER_LISTEN on. */
const listening = Layer.effect(JobNotifications, Effect.map(PgClient.PgClient, (client) => ({ queues: client.listen(CHANNEL).pipe(Stream.orDie), listening: true })))

const worker = (concurrency: number, listen = false) =>
  WorkerRuntime.layer({ _tag: "Queue", queue: benchQueue }).pipe(
    Layer.provide(listen ? listening : Layer.empty),
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
    const loops = process.env.BENCH_LOOPS !== "0"
    yield* freshQueue
    yield* load(loops ? n : 1)
    const baseline = yield* measured(loops ? n : 1, postmasterPid, bareLoop(batch))
    yield* freshQueue
    yield* load(loops ? n : 1)
    const ledgerBaseline = yield* measured(loops ? n : 1, postmasterPid, ledgerLoop(batch))
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
          Effect.forever(Effect.zipRight(Ref.update(rss, (m) => Math.max(m, process.memoryUsage.rss())), Effect.sleep("100 millis")))
        )
      }))
    )
    return { concurrency, batch, baseline, ledgerBaseline, runtime, rssUnderLoad: yield* Ref.get(rss) }
  })

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

/** Exponential gaps: arrivals of a Poisson process with `perSecond` jobs a second on average. */
const poissonGap = (perSecond: number) => Duration.millis(-Math.log(1 - Math.random()) * (1000 / perSecond))

/**
 * Pickup latency (send committed → handler starts) under Poisson arrivals, the worker otherwise
 * idle; then this process's and Postgres' CPU while the worker idles (share of one core) and its RSS.
 */
const pickupLatency = (samples: number, perSecond: number, listen: boolean, postmasterPid: number) =>
  Effect.scoped(Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    yield* freshQueue
    yield* Layer.build(worker(10, listen))
    yield* Effect.sleep("1 second")
    const idleFrom = process.cpuUsage()
    const idlePgFrom = postgresCpuSeconds(postmasterPid)
    const idleStarted = performance.now()
    yield* Effect.sleep("10 seconds")
    const idleCpu = process.cpuUsage(idleFrom)
    const idleMillis = performance.now() - idleStarted
    const idleCore = (idleCpu.user + idleCpu.system) / 1000 / idleMillis
    const idlePgCore = (postgresCpuSeconds(postmasterPid) - idlePgFrom) * 1000 / idleMillis
    const idleRss = process.memoryUsage().rss
    const latencies: Array<number> = []
    const waits: Array<Effect.Effect<void>> = []
    for (let i = 0; i < samples; i++) {
      yield* Effect.sleep(poissonGap(perSecond))
      const [message] = jobs(1)
      const picked = yield* Deferred.make<number>()
      pickups.set(message!.job_id!, picked)
      yield* pgmq.send(benchQueue, message)
      const sent = performance.now()
      waits.push(Effect.map(Deferred.await(picked), (at) => {
        latencies.push(at - sent)
        pickups.delete(message!.job_id!)
      }))
    }
    yield* Effect.all(waits, { discard: true })
    latencies.sort((a, b) => a - b)
    return {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      samples,
      perSecond,
      idleRss,
      idleCore,
      idlePgCore
    }
  }))

const RUNTIME_ROW = "Dragonfly runtime (in-process worker)"

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
    yield* Console.log("bare = one connection looping pgmq.read + pgmq.archive(ids[]) with the loop batch (the runtime reads WORKER_BATCH_SIZE), same database")
    yield* Console.log("ledger = the runtime's SQL in a plain loop: read with the ledger check + one statement recording keys and archiving\n")
    yield* Console.log(
      "concurrency  loop batch    jobs   runtime/s    bare/s  ledger/s  rt/bare  rt/ledger   node CPU µs/job (rt/ledger/bare)   pg CPU µs/job (rt/ledger/bare)   commits/job (rt/ledger/bare)"
    )
    let peakRss = 0
    const withPeers = process.env.BENCH_PEERS !== "0"
    const peerJobs = process.env.BENCH_PEER_JOBS === undefined ? undefined : Number(process.env.BENCH_PEER_JOBS)
    const peerRows: Array<PeerResult> = []
    const runtimeRates = new Map<number, number>()
    const only = process.env.BENCH_ONLY === undefined ? undefined : Number(process.env.BENCH_ONLY)
    const runs: ReadonlyArray<readonly [number, number]> = only === undefined
      ? [[1, 3_000], [10, 20_000], [50, 20_000]]
      : [[only, Number(process.env.BENCH_JOBS ?? 5_000)]]
    for (const [concurrency, n] of runs) {
      const r = yield* throughputRun(concurrency, n, postmasterPid)
      peakRss = Math.max(peakRss, r.rssUnderLoad)
      runtimeRates.set(concurrency, jobsPerSecond(r.runtime))
      if (withPeers && concurrency >= 10) {
        peerRows.push({ name: RUNTIME_ROW, concurrency, measure: r.runtime })
        peerRows.push(
          ...(yield* measurePeers({
            url: Redacted.value(server.url),
            concurrency,
            jobs: peerJobs ?? n,
            postmasterPid,
            loadPgmqQueue: Effect.zipRight(freshQueue, load(peerJobs ?? n)).pipe(Effect.map(() => benchQueue))
          }))
        )
      }
      const rate = jobsPerSecond
      const three = (f: (m: Measure) => number, digits = 0) =>
        [r.runtime, r.ledgerBaseline, r.baseline].map((m) => fmt(f(m), digits)).join(" / ")
      yield* Console.log(
        [
          String(r.concurrency).padStart(11),
          String(r.batch).padStart(11),
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
    if (peerRows.length > 0) {
      yield* Console.log("\nPeers, same run (runtime/peer = runtime jobs/s ÷ peer jobs/s at the same C)")
      yield* Console.log(
        `${"system".padEnd(56)} ${"C".padStart(3)} ${"jobs".padStart(7)} ${"jobs/s".padStart(8)} ${"node µs/job".padStart(12)} ${
          "pg µs/job".padStart(10)
        } ${"commits/job".padStart(12)} ${"runtime/peer".padStart(13)}`
      )
      for (const row of peerRows) {
        const runtimeRate = runtimeRates.get(row.concurrency)!
        const m = row.measure
        yield* Console.log(
          [
            row.name.padEnd(56),
            String(row.concurrency).padStart(3),
            fmt(m.jobs).padStart(7),
            fmt(jobsPerSecond(m)).padStart(8),
            fmt(m.nodeCpuMicrosPerJob).padStart(12),
            fmt(m.pgCpuMicrosPerJob).padStart(10),
            fmt(m.commitsPerJob, 2).padStart(12),
            (row.name === RUNTIME_ROW ? "1.00×" : `${fmt(runtimeRate / jobsPerSecond(m), 2)}×`).padStart(13)
          ].join(" ")
        )
      }
    }
    if (process.env.BENCH_PICKUP === "0") return
    const latency = yield* pickupLatency(400, 20, false, postmasterPid)
    const woken = yield* pickupLatency(400, 20, true, postmasterPid)
    for (const [how, l] of [["polling only", latency], ["with LISTEN/NOTIFY", woken]] as const) {
      yield* Console.log(
        `${how === "polling only" ? "\n" : ""}pickup latency, ${how} (send committed → handler starts; ${l.samples} jobs arriving as a Poisson process of ${l.perSecond}/s; WORKER_IDLE_POLL_MS=100): p50 ${
          fmt(l.p50, 1)
        } ms, p95 ${fmt(l.p95, 1)} ms, p99 ${fmt(l.p99, 1)} ms`
      )
    }
    for (const [how, l] of [["polling only (waits on the server)", latency], ["with LISTEN/NOTIFY (waits here)", woken]] as const) {
      yield* Console.log(
        `idle worker, ${how}: this process ${fmt(100 * l.idleCore, 1)} % of a core, Postgres (all of it) ${fmt(100 * l.idlePgCore, 1)} % (10 s)`
      )
    }
    yield* Console.log(`bench process RSS (runtime + load generators + peers' libraries): idle ${mb(latency.idleRss)}, under load (peak) ${mb(peakRss)}`)
  }).pipe(Effect.provide(infrastructure))
})

program.pipe(
  Effect.scoped,
  Effect.provide(Logger.minimumLogLevel(LogLevel.Warning)),
  NodeRuntime.runMain
)
