import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { mkdtempSync, readFileSync } from "node:fs"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Database from "../db/Database.js"
import { migrate } from "../db/Migrations.js"
import * as EmbeddedPostgres from "../dev/EmbeddedPostgres.js"
import { anyFreePort } from "../dev/ports.js"
import * as Envelope from "../envelope/index.js"
import { JobRequests } from "../jobs/JobRequests.js"
import { PgmqQueue } from "../queue/PgmqQueue.js"
import { queueName } from "../queue/QueueName.js"

/**
 * `npm run bench` (second part): enqueue throughput and latency of `POST /v1/jobs/{queue}` under
 * autocannon, against the API as its own process (`node bin/api.js`), beside the direct-SQL rate
 * on the same database: bare `pgmq.send`, and the API's idempotent enqueue statement without HTTP.
 */

const QUEUE = queueName("bench_api")
const ORG = "00000000-0000-4000-8000-0000000000be"
const API_KEY = "bench-key-0123456789abcdef"
const CONNECTIONS = [1, 10, 50] as const
const DURATION_SECONDS = Number(process.env["BENCH_API_SECONDS"] ?? 10)
const SQL_JOBS = 4_000

const apiScript = fileURLToPath(new URL("../../bin/api.js", import.meta.url))
const plainScript = fileURLToPath(new URL("./plainApi.js", import.meta.url))

const job = () =>
  Envelope.make({
    org_id: ORG,
    idempotency_key: randomUUID(),
    entity_type: "batch",
    entity_id: "bench",
    payload: { action: "noop" }
  })

/** A server script as a child process, listening on `port`; stopped (SIGTERM) with the scope. */
const startServer = (
  script: string,
  url: Redacted.Redacted<string>,
  port: number,
  extraEnv: Record<string, string> = {},
  nodeArgs: ReadonlyArray<string> = []
) =>
  Effect.acquireRelease(
    Effect.async<ReturnType<typeof spawn>, Error>((resume) => {
      const child = spawn(process.execPath, [...nodeArgs, script], {
        env: {
          PATH: process.env["PATH"] ?? "",
          SUPABASE_DB_URL: Redacted.value(url),
          SUPABASE_MODE: "dev",
          ENVIRONMENT: "development",
          DRAGONFLY_API_KEY: API_KEY,
          PORT: String(port),
          DB_POOL_SIZE: "10",
          LOG_LEVEL: "warn",
          ...extraEnv
        },
        stdio: ["ignore", "pipe", "inherit"]
      })
      const poll = setInterval(() => {
        const socket = Net.connect(port, "127.0.0.1")
        socket.once("connect", () => {
          socket.destroy()
          clearInterval(poll)
          resume(Effect.succeed(child))
        })
        socket.once("error", () => socket.destroy())
      }, 100)
      child.once("exit", (code) => {
        clearInterval(poll)
        resume(Effect.fail(new Error(`node ${script} exited with code ${code} before listening`)))
      })
    }),
    (child) =>
      Effect.async<void>((resume) => {
        if (child.exitCode !== null) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
        child.kill("SIGTERM")
      })
  )

/** The API (`node bin/api.js`) as a child process. */
const startApi = (url: Redacted.Redacted<string>, port: number) =>
  // BENCH_API_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/api-profile", profiles the API under load.
  startServer(apiScript, url, port, {}, (process.env["BENCH_API_NODE_ARGS"] ?? "").split(" ").filter((arg) => arg !== ""))

interface LoadResult {
  readonly requests: number
  readonly perSecond: number
  readonly p50: number
  readonly p99: number
  readonly failures: number
}

/** CPU seconds (user + system) a process has used so far. */
const cpuSeconds = (pid: number) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

/** autocannon POSTing a fresh `body()` to `path` for `seconds` from `connections` connections. */
const post = (port: number, path: string, connections: number, seconds: number, body: () => string) =>
  Effect.promise(async (): Promise<LoadResult> => {
    const autocannon = (await import("autocannon")).default
    const result = await autocannon({
      url: `http://127.0.0.1:${port}${path}`,
      method: "POST",
      connections,
      duration: seconds,
      headers: { "content-type": "application/json", "x-api-key": API_KEY },
      requests: [{ method: "POST", setupRequest: (request) => ({ ...request, body: body() }) }]
    })
    return {
      requests: result.requests.total,
      perSecond: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      failures: result.non2xx + result.errors + result.timeouts
    }
  })

// A new key for every envelope: every enqueue sends a message.
const load = (port: number, connections: number, seconds: number = DURATION_SECONDS) =>
  post(port, `/v1/jobs/${QUEUE}`, connections, seconds, () => JSON.stringify(job()))

const BATCH_ENVELOPES = 500

const loadBatches = (port: number, connections: number, seconds: number = DURATION_SECONDS) =>
  post(port, `/v1/jobs/${QUEUE}/batch`, connections, seconds, () =>
    JSON.stringify({ jobs: Array.from({ length: BATCH_ENVELOPES }, () => Envelope.encode(job())) }))

/** `batches` batches of BATCH_ENVELOPES through `enqueue`, `concurrency` at a time; envelopes per second. */
const batchRate = <E, R>(
  batches: number,
  concurrency: number,
  enqueue: (envelopes: ReadonlyArray<Envelope.JobEnvelope>) => Effect.Effect<unknown, E, R>
) =>
  Effect.gen(function*() {
    const all = Array.from({ length: batches }, () => Array.from({ length: BATCH_ENVELOPES }, job))
    const started = performance.now()
    yield* Effect.forEach(all, enqueue, { concurrency, discard: true })
    return (batches * BATCH_ENVELOPES) / ((performance.now() - started) / 1000)
  })

/** `n` jobs through `enqueue` with `concurrency` at a time; jobs per second. */
const rate = <E, R>(n: number, concurrency: number, enqueue: (envelope: Envelope.JobEnvelope) => Effect.Effect<unknown, E, R>) =>
  Effect.gen(function*() {
    const jobs = Array.from({ length: n }, job)
    const started = performance.now()
    yield* Effect.forEach(jobs, enqueue, { concurrency, discard: true })
    return n / ((performance.now() - started) / 1000)
  })

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** "req/s (p99)", and how many failed when any did. */
const rateWithTail = (result: LoadResult) =>
  `${fmt(result.perSecond)} (${fmt(result.p99, 1)})${result.failures > 0 ? ` ${result.failures} failed` : ""}`

const program = Effect.gen(function*() {
  const root = mkdtempSync(join(tmpdir(), "dragonfly-bench-api-"))
  const server = yield* EmbeddedPostgres.start({
    dataDir: join(root, "pgdata"),
    preferredPort: 55434,
    persistent: false,
    durability: "durable"
  })
  const database = Database.layerFromOptions({ url: server.url, poolSize: 10, applicationName: "bench" })
  const infrastructure = JobRequests.Default.pipe(Layer.provideMerge(PgmqQueue.Default), Layer.provideMerge(database))

  yield* Effect.gen(function*() {
    yield* migrate
    const pgmq = yield* PgmqQueue
    const jobs = yield* JobRequests
    yield* pgmq.create(QUEUE)
    const port = yield* anyFreePort
    const api = yield* startApi(server.url, port)
    const plainPort = yield* anyFreePort
    yield* startServer(plainScript, server.url, plainPort, { BENCH_PLAIN_MODE: "single" })
    const coalescedPort = yield* anyFreePort
    yield* startServer(plainScript, server.url, coalescedPort, { BENCH_PLAIN_MODE: "coalesced" })

    yield* Console.log(`Dragonfly API enqueue benchmark: embedded PostgreSQL, Node ${process.version}, ${DURATION_SECONDS} s per run`)
    yield* Console.log("direct SQL = in this process, pool of 10: bare pgmq.send, and the API's enqueue (send + key, one statement)")
    yield* Console.log("API = POST /v1/jobs/bench_api from autocannon, to node bin/api.js (pool of 10), unique keys")
    yield* Console.log(
      "plain = the same requests to plain node:http + pg (pool of 10, src/bench/plainApi.ts): a key check, JSON.parse and the"
    )
    yield* Console.log(
      "        API's enqueue statement, no validation; one statement per request, or concurrent requests coalesced into one\n"
    )
    // Warm-up (JIT, pools), not measured.
    yield* load(port, 10, 3)
    yield* load(plainPort, 10, 2)
    yield* load(coalescedPort, 10, 2)
    yield* rate(500, 10, (envelope) => jobs.enqueue(QUEUE, envelope))
    yield* pgmq.purge(QUEUE)
    yield* Console.log(
      "connections   API req/s   p50 ms   p99 ms   failures   API CPU µs/req   SQL send/s   SQL enqueue/s   API / SQL enqueue" +
        "   plain req/s (p99 ms)   coalesced req/s (p99 ms)   API / plain   API / coalesced"
    )
    for (const connections of CONNECTIONS) {
      const send = yield* rate(SQL_JOBS, connections, (envelope) => pgmq.send(QUEUE, Envelope.encode(envelope)))
      const enqueue = yield* rate(SQL_JOBS, connections, (envelope) => jobs.enqueue(QUEUE, envelope))
      const cpuBefore = cpuSeconds(api.pid!)
      const result = yield* load(port, connections)
      const cpuPerRequest = ((cpuSeconds(api.pid!) - cpuBefore) * 1e6) / Math.max(1, result.requests)
      yield* pgmq.purge(QUEUE)
      const plain = yield* load(plainPort, connections)
      const coalesced = yield* load(coalescedPort, connections)
      yield* Console.log(
        [
          String(connections).padStart(11),
          fmt(result.perSecond).padStart(11),
          fmt(result.p50, 1).padStart(8),
          fmt(result.p99, 1).padStart(8),
          String(result.failures).padStart(10),
          fmt(cpuPerRequest).padStart(16),
          fmt(send).padStart(12),
          fmt(enqueue).padStart(15),
          `${fmt(result.perSecond / enqueue, 2)}×`.padStart(19),
          rateWithTail(plain).padStart(22),
          rateWithTail(coalesced).padStart(26),
          `${fmt(result.perSecond / plain.perSecond, 2)}×`.padStart(13),
          `${fmt(result.perSecond / coalesced.perSecond, 2)}×`.padStart(17)
        ].join(" ")
      )
      yield* pgmq.purge(QUEUE)
    }

    yield* Console.log(
      `\nbatch = POST /v1/jobs/bench_api/batch with ${BATCH_ENVELOPES} envelopes per request, unique keys; direct = JobRequests.enqueueMany in this process`
    )
    yield* Console.log("connections   envelopes/s   requests/s   p50 ms   p99 ms   failures   API CPU µs/envelope   direct envelopes/s")
    for (const connections of [1, 4]) {
      const direct = yield* batchRate(20, connections, (envelopes) => jobs.enqueueMany(QUEUE, envelopes))
      const cpuBefore = cpuSeconds(api.pid!)
      const result = yield* loadBatches(port, connections)
      const envelopes = result.requests * BATCH_ENVELOPES
      yield* Console.log(
        [
          String(connections).padStart(11),
          fmt(result.perSecond * BATCH_ENVELOPES).padStart(13),
          fmt(result.perSecond, 1).padStart(12),
          fmt(result.p50, 1).padStart(8),
          fmt(result.p99, 1).padStart(8),
          String(result.failures).padStart(10),
          fmt(((cpuSeconds(api.pid!) - cpuBefore) * 1e6) / Math.max(1, envelopes), 1).padStart(21),
          fmt(direct).padStart(20)
        ].join(" ")
      )
      yield* pgmq.purge(QUEUE)
    }
  }).pipe(Effect.scoped, Effect.provide(infrastructure))
})

program.pipe(
  Effect.scoped,
  Effect.provide(Logger.minimumLogLevel(LogLevel.Warning)),
  NodeRuntime.runMain
)
