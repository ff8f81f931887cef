import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { SqlClient } from "@effect/sql"
import { Console, Duration, Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
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

/**
 * `npm run chaos`: the crash-consistency suite. Each scenario runs three `node bin/worker.js probe`
 * processes on a few thousand jobs whose handler writes an effect row in the job's transaction,
 * injects its faults, waits until the queue is empty, then checks every job: its effect exactly
 * once (or, for a poison message, a dead letter), nothing lost, nothing left in the queue.
 * CHAOS_JOBS sets the jobs per scenario (default 1,000), CHAOS_SOAK=1 runs each scenario ten times
 * longer, CHAOS_WRITE=1 writes the table into docs/reliability.md.
 */

const JOBS = Number(process.env["CHAOS_JOBS"] ?? 1000)
const SOAK = process.env["CHAOS_SOAK"] === "1" ? 10 : 1
const WORKERS = 3
const ORG = "00000000-0000-4000-8000-00000000c4a0"
const workerScript = fileURLToPath(new URL("../../bin/worker.js", import.meta.url))
const reliabilityDoc = fileURLToPath(new URL("../../docs/reliability.md", import.meta.url))

interface Result {
  readonly scenario: string
  readonly jobs: number
  readonly faults: string
  readonly lost: number
  readonly duplicated: number
  readonly wronglyDeadLettered: number
  readonly poisonNotDeadLettered: number
  readonly leftInQueue: number
  readonly workerRestarts: number
  readonly recoverySeconds: number
  readonly seconds: number
}

/** Three probe workers, each restarted when it dies (as Railway's restart policy does), until stopped. */
const supervise = (url: Redacted.Redacted<string>, env: Record<string, string>) => {
  const children = new Map<number, ChildProcess>()
  let restarts = 0
  let stopping = false
  const start = (slot: number) => {
    const child = spawn(process.execPath, [workerScript, "probe"], {
      env: {
        PATH: process.env["PATH"] ?? "",
        SUPABASE_DB_URL: Redacted.value(url),
        SUPABASE_MODE: "dev",
        ENVIRONMENT: "development",
        LOG_LEVEL: "error",
        WORKER_CONCURRENCY: "8",
        WORKER_BATCH_SIZE: "20",
        WORKER_VISIBILITY_TIMEOUT: "5",
        WORKER_MAX_ATTEMPTS: "3",
        WORKER_IDLE_POLL_MS: "50",
        WORKER_SHUTDOWN_GRACE: "5",
        ...env
      },
      stdio: ["ignore", "ignore", "ignore"]
    })
    children.set(slot, child)
    child.once("exit", () => {
      if (stopping) return
      restarts++
      setTimeout(() => {
        if (!stopping) start(slot)
      }, 200)
    })
  }
  for (let slot = 0; slot < WORKERS; slot++) start(slot)
  return {
    /** SIGKILL to one worker chosen at random. */
    killOne: () => {
      const alive = [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null)
      const victim = alive[Math.floor(Math.random() * alive.length)]
      victim?.kill("SIGKILL")
      return victim !== undefined
    },
    restarts: () => restarts,
    stop: Effect.promise(() => {
      stopping = true
      return Promise.all([...children.values()].map((child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once("exit", () => resolve())
          child.kill("SIGTERM")
        })
      ))
    })
  }
}

interface Scenario {
  readonly name: string
  /** The payload of each job; `poison` marks those that are meant to be dead-lettered. */
  readonly job: (i: number) => { readonly payload: Record<string, unknown>; readonly poison: boolean }
  /** Injects the faults while the jobs run; answers what it did. Stops when `done` says so. */
  readonly faults: (context: FaultContext) => Effect.Effect<string>
  readonly workerEnv?: Record<string, string>
}

interface FaultContext {
  readonly killOne: () => boolean
  readonly restartPostgres: (mode: "fast" | "immediate") => Effect.Effect<void>
  readonly done: Effect.Effect<boolean>
}

/** Every `every`, until the jobs are done or `times` faults are in. */
const repeatedly = (context: FaultContext, every: Duration.DurationInput, times: number, fault: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    let injected = 0
    while (injected < times && !(yield* context.done)) {
      yield* Effect.sleep(every)
      if (yield* fault) injected++
    }
    return injected
  })

const scenarios: ReadonlyArray<Scenario> = [
  {
    name: "kill -9 of random workers mid-job",
    job: () => ({ payload: { action: "record", sleep_ms: 20 }, poison: false }),
    faults: (context) =>
      Effect.map(repeatedly(context, "700 millis", 12 * SOAK, Effect.sync(context.killOne)), (n) => `${n} × kill -9`)
  },
  {
    name: "kill -9 during the commit",
    // Each job's first delivery holds its writes 300 ms inside the acknowledging transaction, before COMMIT.
    job: () => ({ payload: { action: "record", hold_commit_ms: 300, sleep_first_delivery_only: true }, poison: false }),
    faults: (context) =>
      Effect.map(repeatedly(context, "900 millis", 10 * SOAK, Effect.sync(context.killOne)), (n) => `${n} × kill -9 inside a held commit`)
  },
  {
    name: "Postgres restarted (fast, then immediate) under load",
    job: () => ({ payload: { action: "record", sleep_ms: 10 }, poison: false }),
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
    name: "poison messages that crash the process, mixed in",
    job: (i) => (i % 100 === 7 ? { payload: { action: "crash" }, poison: true } : { payload: { action: "record", sleep_ms: 5 }, poison: false }),
    faults: () => Effect.succeed("1 % of the jobs crash their worker on every delivery")
  }
]

const runScenario = (scenario: Scenario, index: number, server: EmbeddedPostgres.EmbeddedServer) =>
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

    const left = pgmq.count(queue)
    const started = Date.now()
    const workers = supervise(server.url, scenario.workerEnv ?? {})
    let lastFault = started
    const context: FaultContext = {
      killOne: () => {
        const killed = workers.killOne()
        if (killed) lastFault = Date.now()
        return killed
      },
      restartPostgres: (mode) =>
        server.restart(mode).pipe(Effect.orDie, Effect.tap(() => Effect.sync(() => (lastFault = Date.now())))),
      done: Effect.map(Effect.orElseSucceed(left, () => 1), (n) => n === 0)
    }
    const faults = yield* scenario.faults(context)
    // Settled: the queue empty, for at most five minutes (a database restart may still be reconnecting).
    const deadline = Date.now() + 300_000
    while (Date.now() < deadline && (yield* Effect.orElseSucceed(left, () => 1)) > 0) yield* Effect.sleep("100 millis")
    const finished = Date.now()
    const restarts = workers.restarts()
    yield* workers.stop

    const effects = yield* sql<{ readonly key: string; readonly n: number }>`
      SELECT idempotency_key AS key, count(*)::int AS n FROM workers.probe_effects
      WHERE idempotency_key LIKE ${`chaos-${index}-%`} GROUP BY idempotency_key`
    const dead = yield* sql<{ readonly key: string }>`
      SELECT message->'original'->>'idempotency_key' AS key FROM pgmq.q_dead_letter
      WHERE message->>'source_queue' = ${queue}`
    const effectOf = new Map(effects.map((e) => [e.key, e.n]))
    const deadKeys = new Set(dead.map((d) => d.key))
    const remaining = yield* Effect.orElseSucceed(left, () => -1)
    return {
      scenario: scenario.name,
      jobs,
      faults,
      lost: planned.filter((j) => !effectOf.has(j.key) && !deadKeys.has(j.key)).length,
      duplicated: effects.filter((e) => e.n > 1).length,
      wronglyDeadLettered: [...deadKeys].filter((key) => !poison.has(key)).length,
      poisonNotDeadLettered: [...poison].filter((key) => !deadKeys.has(key)).length,
      leftInQueue: remaining,
      workerRestarts: restarts,
      recoverySeconds: Math.max(0, finished - lastFault) / 1000,
      seconds: (finished - started) / 1000
    } satisfies Result
  })

const table = (results: ReadonlyArray<Result>) =>
  [
    "| scenario | jobs | faults injected | lost | duplicated effects | wrongly dead-lettered | poison not dead-lettered | left in queue | worker restarts | recovered in | run |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...results.map((r) =>
      `| ${r.scenario} | ${r.jobs} | ${r.faults} | ${r.lost} | ${r.duplicated} | ${r.wronglyDeadLettered} | ${r.poisonNotDeadLettered} | ${r.leftInQueue} | ${r.workerRestarts} | ${r.recoverySeconds.toFixed(1)} s | ${r.seconds.toFixed(1)} s |`
    )
  ].join("\n")

const program = Effect.gen(function*() {
  const root = mkdtempSync(join(tmpdir(), "dragonfly-chaos-"))
  const server = yield* EmbeddedPostgres.start({
    dataDir: join(root, "pgdata"),
    preferredPort: 55_491,
    persistent: false,
    durability: "durable",
    maxConnections: 200
  })
  yield* Console.log(`chaos: ${JOBS * SOAK} jobs per scenario, ${WORKERS} probe workers, Postgres on ${server.port}`)
  const results: Array<Result> = []
  const run = Effect.gen(function*() {
    yield* migrate
    yield* installProbe
    for (const [index, scenario] of scenarios.entries()) {
      yield* Console.log(`→ ${scenario.name}`)
      const result = yield* runScenario(scenario, index, server)
      results.push(result)
      yield* Console.log(
        `  lost ${result.lost}, duplicated ${result.duplicated}, wrongly dead-lettered ${result.wronglyDeadLettered}, ` +
          `poison left ${result.poisonNotDeadLettered}, left in queue ${result.leftInQueue}; ${result.faults}; ${result.seconds.toFixed(1)} s`
      )
    }
  })
  yield* run.pipe(
    Effect.provide(PgmqQueue.Default.pipe(Layer.provideMerge(
      Database.layerFromOptions({ url: server.url, poolSize: 4, applicationName: "dragonfly-chaos", retryWindow: "60 seconds" })
    )))
  )
  const markdown = table(results)
  yield* Console.log(`\n${markdown}`)
  if (process.env["CHAOS_WRITE"] === "1") {
    const doc = readFileSync(reliabilityDoc, "utf8")
    const begin = "<!-- chaos results -->"
    const end = "<!-- /chaos results -->"
    const updated = doc.replace(new RegExp(`${begin}[\\s\\S]*${end}`), `${begin}\n${markdown}\n${end}`)
    writeFileSync(reliabilityDoc, updated)
  }
  const failed = results.some((r) => r.lost + r.duplicated + r.wronglyDeadLettered + r.poisonNotDeadLettered + Math.max(0, r.leftInQueue) > 0)
  if (failed) return yield* Effect.dieMessage("chaos: a scenario lost, duplicated or wrongly dead-lettered jobs (table above)")
})

program.pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning), NodeRuntime.runMain)
