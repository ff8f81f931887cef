import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { SqlClient } from "@effect/sql"
import { Console, Duration, Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { randomUUID } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Database from "../db/Database.js"
import { migrate } from "../db/Migrations.js"
import * as EmbeddedPostgres from "../dev/EmbeddedPostgres.js"
import * as Envelope from "../envelope/index.js"
import { PgmqQueue } from "../queue/PgmqQueue.js"
import { queueName } from "../queue/QueueName.js"
import { installProbe } from "../services/probe/schema.js"
import * as ExternalPeer from "./ExternalPeer.js"
import * as NetworkProxy from "./NetworkProxy.js"
import { supervise } from "./supervisor.js"

/**
 * `npm run chaos`: the crash-consistency suite. Each scenario runs three `node bin/worker.js probe`
 * processes on a few thousand jobs whose handler calls an external HTTP peer and writes an effect
 * row in the job's transaction, injects its faults, waits until the queue is empty, then checks
 * every job: its effect exactly once (or, for a poison message, a dead letter), its ledger row,
 * nothing lost, nothing left in the queue, and counts the external calls made more than once.
 * CHAOS_JOBS sets the jobs per scenario (default 1,000), CHAOS_SOAK=1 runs each scenario ten times
 * longer, CHAOS_ONLY=<text> runs the scenarios whose name contains it, CHAOS_WRITE=1 writes the
 * table into docs/reliability.md, CHAOS_REQUIRE_ALL=1 (CI) fails a scenario that cannot run here.
 */

const JOBS = Number(process.env["CHAOS_JOBS"] ?? 1000)
const SOAK = process.env["CHAOS_SOAK"] === "1" ? 10 : 1
const ONLY = process.env["CHAOS_ONLY"]
const REQUIRE_ALL = process.env["CHAOS_REQUIRE_ALL"] === "1"
const WORKERS = 3
const ORG = "00000000-0000-4000-8000-00000000c4a0"
const reliabilityDoc = fileURLToPath(new URL("../../docs/reliability.md", import.meta.url))
const FAKETIME_LIBRARIES = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/local/lib/faketime/libfaketime.so.1"
]
const faketime = process.env["CHAOS_FAKETIME_LIB"] ?? FAKETIME_LIBRARIES.find((path) => existsSync(path))

interface Result {
  readonly scenario: string
  readonly jobs: number
  readonly faults: string
  readonly lost: number
  readonly duplicated: number
  readonly wronglyDeadLettered: number
  readonly poisonNotDeadLettered: number
  readonly ledgerMismatches: number
  readonly leftInQueue: number
  /** Jobs whose effect was made by a later delivery than the first. */
  readonly redelivered: number
  /** Redeliveries the scenario forbids (none of its faults should cause one). */
  readonly unexpectedRedeliveries: number
  readonly externalCalls: number
  /** One call per job that is not poison. */
  readonly expectedCalls: number
  /** Jobs whose external call was made more than once. */
  readonly externalDuplicated: number
  /** Jobs with an effect but no external call. */
  readonly externalMissing: number
  readonly workerRestarts: number
  readonly recoverySeconds: number
  readonly seconds: number
}

const broken = (r: Result) =>
  r.lost + r.duplicated + r.wronglyDeadLettered + r.poisonNotDeadLettered + r.ledgerMismatches +
    Math.max(0, r.leftInQueue) + r.unexpectedRedeliveries + r.externalMissing

interface Scenario {
  readonly name: string
  /** The payload of each job; `poison` marks those that are meant to be dead-lettered. */
  readonly job: (i: number) => { readonly payload: Record<string, unknown>; readonly poison: boolean }
  /** Injects the faults while the jobs run; answers what it did. Stops when `done` says so. */
  readonly faults: (context: FaultContext) => Effect.Effect<string>
  /** Each worker reaches Postgres through a proxy of its own, which the faults break. */
  readonly network?: boolean
  /** Each worker's wall clock is its own (libfaketime), set by `setClock`. */
  readonly clocks?: ReadonlyArray<number>
  /** None of the faults should make a job run twice: a redelivery is a failure. */
  readonly noRedelivery?: boolean
}

interface FaultContext {
  readonly killOne: () => boolean
  readonly restartPostgres: (mode: "fast" | "immediate") => Effect.Effect<void>
  /** The network of each worker slot (network scenarios only). */
  readonly networks: ReadonlyArray<NetworkProxy.NetworkProxy>
  /** Sets a worker slot's wall clock to the real time plus `offsetSeconds` (clock scenarios only). */
  readonly setClock: (slot: number, offsetSeconds: number) => void
  /** Counts a fault injected now (for the time to recover). */
  readonly injected: () => void
  readonly done: Effect.Effect<boolean>
}

/** Every `every`, until the jobs are done or `times` faults are in. */
const repeatedly = (context: FaultContext, every: Duration.DurationInput, times: number, fault: (n: number) => Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    let injected = 0
    while (injected < times && !(yield* context.done)) {
      yield* Effect.sleep(every)
      if (yield* fault(injected)) injected++
    }
    return injected
  })

const hours = (seconds: number) => `${seconds >= 0 ? "+" : "−"}${Math.abs(seconds / 3600).toFixed(1)} h`

const pick = <A>(items: ReadonlyArray<A>) => items[Math.floor(Math.random() * items.length)]!

/** A normal job: its external call, then its effect row. */
const record = (options: Record<string, unknown> = {}) => ({
  payload: { action: "record", call_external: true, ...options },
  poison: false
})

const kill = (context: FaultContext) => Effect.sync(context.killOne)

const scenarios: ReadonlyArray<Scenario> = [
  {
    name: "kill -9 of random workers mid-job",
    job: () => record({ sleep_ms: 20 }),
    faults: (context) => Effect.map(repeatedly(context, "700 millis", 12 * SOAK, () => kill(context)), (n) => `${n} × kill -9`)
  },
  {
    name: "kill -9 during the commit",
    // Each job's first delivery holds its writes 300 ms inside the acknowledging transaction, before COMMIT.
    job: () => record({ hold_commit_ms: 100, sleep_first_delivery_only: true }),
    faults: (context) =>
      Effect.map(repeatedly(context, "900 millis", 10 * SOAK, () => kill(context)), (n) => `${n} × kill -9 inside a held commit`)
  },
  {
    name: "Postgres restarted (fast, then immediate) under load",
    job: () => record({ sleep_ms: 10 }),
    faults: (context) =>
      Effect.gen(function*() {
        const modes = Array.from({ length: 2 * SOAK }, (_, i): "fast" | "immediate" => (i % 2 === 0 ? "fast" : "immediate"))
        let restarted = 0
        for (const mode of modes) {
          yield* Effect.sleep("1500 millis")
          if (yield* context.done) break
          yield* context.restartPostgres(mode)
          restarted++
        }
        return `${restarted} restarts (${modes.slice(0, restarted).join(", ")})`
      })
  },
  {
    name: "the network to Postgres cut, stalled and half-closed",
    network: true,
    // Some jobs hold their commit, so that faults land inside transactions too.
    job: (i) => record(i % 10 === 0 ? { hold_commit_ms: 200, sleep_first_delivery_only: true } : { sleep_ms: 20 }),
    faults: (context) =>
      Effect.gen(function*() {
        const counts = { cut: 0, stall: 0, halfClose: 0 }
        const kinds = ["cut", "stall", "halfClose"] as const
        yield* repeatedly(context, "1500 millis", 9 * SOAK, (n) =>
          Effect.sync(() => {
            const network = pick(context.networks)
            const kind = kinds[n % kinds.length]!
            // A stall longer than the visibility timeout: the worker's leases run out meanwhile.
            const connections = kind === "cut" ? network.cut(2_000) : kind === "stall" ? network.stall(7_000) : network.halfClose()
            if (connections === 0) return false
            counts[kind]++
            context.injected()
            return true
          }))
        return `${counts.cut} cuts (2 s), ${counts.stall} stalls (7 s), ${counts.halfClose} half-closes`
      })
  },
  {
    name: "clock skew between workers, and clocks stepped mid-run",
    // Start an hour behind, on time, three hours ahead.
    clocks: [-3_600, 0, 10_800],
    noRedelivery: true,
    // One job in 25 runs for more than twice the visibility timeout: its lease must be extended meanwhile.
    job: (i) => record({ sleep_ms: i % 25 === 3 ? 12_000 : 20 }),
    faults: (context) =>
      Effect.map(
        repeatedly(context, "1500 millis", 10 * SOAK, () =>
          Effect.sync(() => {
            context.setClock(Math.floor(Math.random() * WORKERS), pick([-7_200, -3_600, -600, 600, 3_600, 10_800]))
            context.injected()
            return true
          })),
        (n) => `clocks at −1 h, 0, +3 h; ${n} steps of a worker's clock (±10 min to ±3 h)`
      )
  },
  {
    name: "poison messages that crash the process, mixed in",
    job: (i) => (i % 100 === 7 ? { payload: { action: "crash" }, poison: true } : record({ sleep_ms: 5 })),
    faults: () => Effect.succeed("1 % of the jobs crash their worker on every delivery")
  }
]

const workerEnv = {
  SUPABASE_MODE: "dev",
  ENVIRONMENT: "development",
  LOG_LEVEL: process.env["CHAOS_VERBOSE"] === "1" ? "warn" : "error",
  WORKER_CONCURRENCY: "8",
  WORKER_BATCH_SIZE: "20",
  WORKER_VISIBILITY_TIMEOUT: "5",
  WORKER_MAX_ATTEMPTS: "3",
  WORKER_IDLE_POLL_MS: "50",
  WORKER_SHUTDOWN_GRACE: "5"
}

const runScenario = (scenario: Scenario, index: number, server: EmbeddedPostgres.EmbeddedServer, root: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pgmq = yield* PgmqQueue
    const queue = queueName(`probe_chaos_${index}`)
    yield* pgmq.create(queue)
    const jobs = JOBS * SOAK
    const planned = Array.from({ length: jobs }, (_, i) => ({ ...scenario.job(i), key: `chaos-${index}-${i}-${randomUUID()}` }))
    const poison = new Set(planned.filter((j) => j.poison).map((j) => j.key))
    for (let i = 0; i < planned.length; i += 500) {
      yield* pgmq.sendBatch(queue, planned.slice(i, i + 500).map((job) =>
        Envelope.encode(Envelope.make({
          org_id: ORG,
          idempotency_key: job.key,
          entity_type: "batch",
          entity_id: "chaos",
          payload: job.payload
        }))
      ))
    }

    const peer = yield* ExternalPeer.make
    const networks = scenario.network === true
      ? yield* Effect.forEach(Array.from({ length: WORKERS }), () => NetworkProxy.make(server.url))
      : []
    const clockFile = (slot: number) => join(root, `clock-${index}-${slot}`)
    const setClock = (slot: number, offsetSeconds: number) =>
      writeFileSync(clockFile(slot), `${offsetSeconds >= 0 ? "+" : ""}${offsetSeconds}\n`)
    scenario.clocks?.forEach((offset, slot) => setClock(slot, offset))
    const envOf = (slot: number): Record<string, string> => ({
      ...workerEnv,
      SUPABASE_DB_URL: Redacted.value(networks[slot]?.through(server.url) ?? server.url),
      PROBE_EXTERNAL_URL: peer.url,
      // The wall clock only, as an NTP step would move it: timers and elapsed times run on.
      ...(scenario.clocks === undefined ? {} : {
        LD_PRELOAD: faketime!,
        FAKETIME_TIMESTAMP_FILE: clockFile(slot),
        FAKETIME_CACHE_DURATION: "1",
        FAKETIME_DONT_FAKE_MONOTONIC: "1"
      })
    })

    const left = pgmq.count(queue)
    const started = Date.now()
    const workers = supervise(WORKERS, envOf)
    let lastFault = started
    const injected = () => {
      lastFault = Date.now()
    }
    const context: FaultContext = {
      killOne: () => {
        const killed = workers.killOne()
        if (killed) injected()
        return killed
      },
      restartPostgres: (mode) => server.restart(mode).pipe(Effect.orDie, Effect.tap(() => Effect.sync(injected))),
      networks,
      setClock,
      injected,
      done: Effect.map(Effect.orElseSucceed(left, () => 1), (n) => n === 0)
    }
    const faults = yield* scenario.faults(context)
    // Settled: the queue empty, for at most five minutes (a database restart may still be reconnecting).
    const deadline = Date.now() + 300_000
    while (Date.now() < deadline && (yield* Effect.orElseSucceed(left, () => 1)) > 0) yield* Effect.sleep("100 millis")
    const finished = Date.now()
    const restarts = workers.restarts()
    yield* workers.stop

    const pattern = `chaos-${index}-%`
    const effects = yield* sql<{ readonly key: string; readonly n: number; readonly first: number }>`
      SELECT idempotency_key AS key, count(*)::int AS n, min(delivery)::int AS first FROM workers.probe_effects
      WHERE idempotency_key LIKE ${pattern} GROUP BY idempotency_key`
    const dead = yield* sql<{ readonly key: string }>`
      SELECT message->'original'->>'idempotency_key' AS key FROM pgmq.q_dead_letter
      WHERE message->>'source_queue' = ${queue}`
    const ledger = yield* sql<{ readonly key: string }>`
      SELECT idempotency_key AS key FROM workers.job_ledger WHERE idempotency_key LIKE ${pattern}`
    const effectOf = new Map(effects.map((e) => [e.key, e.n]))
    const deadKeys = new Set(dead.map((d) => d.key))
    const ledgerKeys = new Set(ledger.map((l) => l.key))
    const calls = peer.calls()
    const callsOf = (key: string) => calls.get(`${ORG}/${key}`) ?? 0
    const remaining = yield* Effect.orElseSucceed(left, () => -1)
    const redelivered = effects.filter((e) => e.first > 1).length
    // The workers' clocks as their effect rows show them (started_at is the worker's, recorded_at the database's).
    const [skew] = yield* sql<{ readonly behind: number; readonly ahead: number }>`
      SELECT coalesce(min(extract(epoch FROM started_at - recorded_at)), 0)::float8 AS behind,
             coalesce(max(extract(epoch FROM started_at - recorded_at)), 0)::float8 AS ahead
      FROM workers.probe_effects WHERE idempotency_key LIKE ${pattern}`
    const observed = scenario.clocks === undefined
      ? ""
      : `; worker clocks seen from ${hours(skew!.behind)} to ${hours(skew!.ahead)}`
    return {
      scenario: scenario.name,
      jobs,
      faults: faults + observed,
      lost: planned.filter((j) => !effectOf.has(j.key) && !deadKeys.has(j.key)).length,
      duplicated: effects.filter((e) => e.n > 1).length,
      wronglyDeadLettered: [...deadKeys].filter((key) => !poison.has(key)).length,
      poisonNotDeadLettered: [...poison].filter((key) => !deadKeys.has(key)).length,
      // A ledger row exactly for the jobs whose effect committed.
      ledgerMismatches: planned.filter((j) => effectOf.has(j.key) !== ledgerKeys.has(j.key)).length,
      leftInQueue: remaining,
      redelivered,
      unexpectedRedeliveries: scenario.noRedelivery === true ? redelivered : 0,
      externalCalls: [...calls.values()].reduce((sum, n) => sum + n, 0),
      expectedCalls: jobs - poison.size,
      externalDuplicated: planned.filter((j) => callsOf(j.key) > 1).length,
      externalMissing: planned.filter((j) => effectOf.has(j.key) && callsOf(j.key) === 0).length,
      workerRestarts: restarts,
      recoverySeconds: Math.max(0, finished - lastFault) / 1000,
      seconds: (finished - started) / 1000
    } satisfies Result
  }).pipe(Effect.scoped)

const table = (results: ReadonlyArray<Result>) =>
  [
    "| scenario | jobs | faults injected | lost | duplicated effects | wrongly dead-lettered | poison not dead-lettered | ledger mismatches | left in queue | redelivered | worker restarts | recovered in | run |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...results.map((r) =>
      `| ${r.scenario} | ${r.jobs} | ${r.faults} | ${r.lost} | ${r.duplicated} | ${r.wronglyDeadLettered} | ${r.poisonNotDeadLettered} | ${r.ledgerMismatches} | ${r.leftInQueue} | ${r.redelivered} | ${r.workerRestarts} | ${r.recoverySeconds.toFixed(1)} s | ${r.seconds.toFixed(1)} s |`
    )
  ].join("\n")

const externalTable = (results: ReadonlyArray<Result>) =>
  [
    "| scenario | external calls | jobs called more than once | calls a peer without the key applies twice | duplicate effects at a peer that honours the key | jobs with an effect but no call |",
    "| --- | --- | --- | --- | --- | --- |",
    ...results.map((r) =>
      `| ${r.scenario} | ${r.externalCalls} | ${r.externalDuplicated} | ${r.externalCalls - r.expectedCalls} | 0 | ${r.externalMissing} |`
    )
  ].join("\n")

const program = Effect.gen(function*() {
  const root = mkdtempSync(join(tmpdir(), "dragonfly-chaos-"))
  const server = yield* EmbeddedPostgres.start({
    dataDir: join(root, "pgdata"),
    preferredPort: 55_491,
    persistent: false,
    durability: "durable",
    maxConnections: 300
  })
  yield* Console.log(`chaos: ${JOBS * SOAK} jobs per scenario, ${WORKERS} probe workers, Postgres on ${server.port}`)
  const results: Array<Result> = []
  const notRun: Array<string> = []
  const run = Effect.gen(function*() {
    yield* migrate
    yield* installProbe
    for (const [index, scenario] of scenarios.entries()) {
      if (ONLY !== undefined && !scenario.name.includes(ONLY)) continue
      if (scenario.clocks !== undefined && faketime === undefined) {
        notRun.push(`${scenario.name}: libfaketime is not installed (apt-get install faketime, or set CHAOS_FAKETIME_LIB)`)
        yield* Console.log(`✗ not run: ${notRun.at(-1)}`)
        continue
      }
      yield* Console.log(`→ ${scenario.name}`)
      const result = yield* runScenario(scenario, index, server, root)
      results.push(result)
      yield* Console.log(
        `  lost ${result.lost}, duplicated ${result.duplicated}, wrongly dead-lettered ${result.wronglyDeadLettered}, ` +
          `poison left ${result.poisonNotDeadLettered}, ledger mismatches ${result.ledgerMismatches}, left in queue ${result.leftInQueue}, ` +
          `redelivered ${result.redelivered}${scenario.noRedelivery === true ? " (none expected)" : ""}, ` +
          `external calls ${result.externalCalls} (${result.externalDuplicated} jobs more than once, ${result.externalMissing} missing); ` +
          `${result.faults}; ${result.seconds.toFixed(1)} s`
      )
    }
  })
  yield* run.pipe(
    Effect.provide(PgmqQueue.Default.pipe(Layer.provideMerge(
      Database.layerFromOptions({ url: server.url, poolSize: 4, applicationName: "dragonfly-chaos", retryWindow: "60 seconds" })
    )))
  )
  const markdown = `${table(results)}\n\nThe external side effect (the HTTP call each job makes before its writes commit):\n\n${externalTable(results)}`
  yield* Console.log(`\n${markdown}`)
  if (process.env["CHAOS_WRITE"] === "1") {
    const doc = readFileSync(reliabilityDoc, "utf8")
    const begin = "<!-- chaos results -->"
    const end = "<!-- /chaos results -->"
    writeFileSync(reliabilityDoc, doc.replace(new RegExp(`${begin}[\\s\\S]*${end}`), `${begin}\n${markdown}\n${end}`))
  }
  if (results.some((r) => broken(r) > 0)) {
    return yield* Effect.dieMessage("chaos: a scenario lost, duplicated or wrongly dead-lettered jobs (table above)")
  }
  if (REQUIRE_ALL && notRun.length > 0) return yield* Effect.dieMessage(`chaos: not every scenario ran: ${notRun.join("; ")}`)
})

program.pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning), NodeRuntime.runMain)
