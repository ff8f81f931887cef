import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { SqlClient } from "@effect/sql"
import type { Options, Request, Result } from "autocannon"
import { Console, Effect, Fiber, Layer, Logger, LogLevel, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import { mkdtempSync, writeFileSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import * as Database from "../db/Database.js"
import { migrate } from "../db/Migrations.js"
import * as EmbeddedPostgres from "../dev/EmbeddedPostgres.js"
import { anyFreePort } from "../dev/ports.js"
import * as Envelope from "../envelope/index.js"
import { PgmqQueue } from "../queue/PgmqQueue.js"
import { queueName } from "../queue/QueueName.js"
import { installProbe } from "../services/probe/schema.js"
import {
  API_KEY,
  cpuSeconds,
  fmt,
  mb,
  type RssSeries,
  rssBytes,
  signed,
  startApi,
  startProbeWorker,
  summarize,
  writeLoadResults
} from "./loadSupport.js"

/**
 * `npm run bench:load`: the API as its own process (`node bin/api.js`) under a sustained mixed load
 * from autocannon, one instance per kind of request, all at once: enqueues of probe jobs
 * (`POST /v1/jobs/probe_load`, `record` or `noop` payloads), the status of a job just enqueued
 * (`GET /v1/jobs/{id}`), `GET /v1/queues`, and CSV uploads (`POST /v1/uploads`, without `enqueue=`:
 * stored, no import job). A `node bin/worker.js probe` process drains the queue throughout. The RSS
 * of both processes and the queue depth are sampled every few seconds; after the run, requests,
 * non-2xx answers, errors and p50/p99 per kind, RSS at start, end and max with its slope, the depth
 * at the end and the jobs the worker processed, as a markdown table. Exit 1 on any error, timeout,
 * non-2xx answer or dead letter.
 *
 * LOAD_SECONDS       measured run (default 180)
 * LOAD_WARMUP_SECONDS  the same mix first, not measured (default 30)
 * LOAD_CONNECTIONS   connections in all (default 20: 40 % enqueue, 30 % status, 15 % queues, 15 % uploads)
 * LOAD_SAMPLE_SECONDS  RSS and depth sampled this often (default 2)
 * LOAD_FLAT_MB_PER_MIN  RSS counts as flat when the slope of its floor (the lowest sample of each 30 s) is
 *                    under this (default 2 MB/min: 120 MB an hour, the API's 512 MB in about two hours)
 * LOAD_API_NODE_ARGS  node options for the API process, e.g. "--heapsnapshot-signal=SIGUSR2" (split on spaces)
 * LOAD_SAMPLES=FILE  also write every sample (seconds, API MB, worker MB, depth) to FILE as CSV
 * LOAD_WRITE=1       also write the tables into docs/reliability.md (<!-- load: sustained -->)
 */

const SECONDS = Number(process.env["LOAD_SECONDS"] ?? 180)
const WARMUP_SECONDS = Number(process.env["LOAD_WARMUP_SECONDS"] ?? 30)
const CONNECTIONS = Number(process.env["LOAD_CONNECTIONS"] ?? 20)
const SAMPLE_SECONDS = Number(process.env["LOAD_SAMPLE_SECONDS"] ?? 2)
const FLAT_MB_PER_MIN = Number(process.env["LOAD_FLAT_MB_PER_MIN"] ?? 2)
const API_NODE_ARGS = (process.env["LOAD_API_NODE_ARGS"] ?? "").split(" ").filter((arg) => arg !== "")
const WRITE = process.env["LOAD_WRITE"] === "1"
const SAMPLES_FILE = process.env["LOAD_SAMPLES"]
const QUEUE = queueName("probe_load")
const ORG = "00000000-0000-4000-8000-00000000104d"
const DRAIN_WAIT_SECONDS = 120

/** The job ids enqueued last, for the status requests. */
const recent: Array<string> = []
const RECENT = 200

const remember = (status: number, body: string) => {
  if (status !== 202) return
  try {
    const jobId = (JSON.parse(body) as { readonly job_id?: unknown }).job_id
    if (typeof jobId !== "string") return
    recent.push(jobId)
    if (recent.length > RECENT) recent.shift()
  } catch {
    // counted by autocannon as whatever status it had
  }
}

const job = () =>
  JSON.stringify(Envelope.encode(Envelope.make({
    org_id: ORG,
    idempotency_key: randomUUID(),
    entity_type: "batch",
    entity_id: "load",
    payload: Math.random() < 0.5 ? { action: "record" } : { action: "noop" }
  })))

/** A small generic-layout CSV, different every time (a new upload, not a duplicate). */
const csv = () => {
  const id = randomUUID()
  return [
    "Account Number,Client,First Name,Last Name,ZIP Code,SSN Last 4,Judgment Entered,Judgment Amt,Balance Due,Type",
    `L-${id},Example Funding LLC (TEST),Ada,Lovelace,10001,1234,01/02/2020,1500.00,1250.00,CONSUMER`,
    `L-${id}-2,Example Funding LLC (TEST),Charles,Babbage,11201,4321,03/04/2021,820.50,820.50,CONSUMER`,
    ""
  ].join("\r\n")
}

interface Kind {
  readonly name: string
  readonly share: number
  readonly request: Request
}

const kinds: ReadonlyArray<Kind> = [
  {
    name: `enqueue (POST /v1/jobs/${QUEUE})`,
    share: 0.4,
    request: {
      method: "POST",
      path: `/v1/jobs/${QUEUE}`,
      headers: { "content-type": "application/json" },
      setupRequest: (request) => ({ ...request, body: job() }),
      onResponse: (status, body) => remember(status, body)
    }
  },
  {
    name: "job status (GET /v1/jobs/{id})",
    share: 0.3,
    request: {
      method: "GET",
      setupRequest: (request) => ({ ...request, path: `/v1/jobs/${recent[Math.floor(Math.random() * recent.length)]}` })
    }
  },
  { name: "queues (GET /v1/queues)", share: 0.15, request: { method: "GET", path: "/v1/queues" } },
  {
    name: "upload (POST /v1/uploads, CSV)",
    share: 0.15,
    request: {
      method: "POST",
      path: "/v1/uploads?filename=load.csv",
      headers: { "content-type": "text/csv" },
      setupRequest: (request) => ({ ...request, body: csv() })
    }
  }
]

const connectionsOf = (kind: Kind) => Math.max(1, Math.round(CONNECTIONS * kind.share))

/** One autocannon instance per kind, all at once, for `seconds`. */
const mixedLoad = (port: number, seconds: number) =>
  Effect.promise(async () => {
    const autocannon = (await import("autocannon")).default
    const run = (kind: Kind) =>
      new Promise<Result>((resolve, reject) => {
        const options: Options = {
          url: `http://127.0.0.1:${port}`,
          connections: connectionsOf(kind),
          duration: seconds,
          timeout: 10,
          headers: { "x-api-key": API_KEY },
          requests: [kind.request]
        }
        autocannon(options, (error, result) => (error ? reject(error) : resolve(result)))
      })
    return Promise.all(kinds.map(run))
  })

interface Sample {
  readonly seconds: number
  readonly depth: number
}

const program = Effect.gen(function*() {
  const root = mkdtempSync(join(tmpdir(), "dragonfly-bench-load-"))
  const server = yield* EmbeddedPostgres.start({
    dataDir: join(root, "pgdata"),
    preferredPort: 55_436,
    persistent: false,
    durability: "durable"
  })
  const database = Database.layerFromOptions({ url: server.url, poolSize: 4, applicationName: "bench-load" })

  yield* Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pgmq = yield* PgmqQueue
    yield* migrate
    yield* installProbe
    yield* pgmq.create(QUEUE)
    const port = yield* anyFreePort
    const api = yield* startApi(server.url, port, {}, API_NODE_ARGS)
    const depth = Effect.map(
      sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM pgmq.q_probe_load`,
      (rows) => rows[0]!.n
    )

    yield* Console.log(
      `Dragonfly sustained mixed load: node bin/api.js and one node bin/worker.js probe on an embedded PostgreSQL, ` +
        `Node ${process.version}, ${cpus().length} cores; ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up, ${SECONDS} s measured`
    )
    // A first job, so that the status requests have an id from the start.
    yield* Effect.promise(() =>
      fetch(`http://127.0.0.1:${port}/v1/jobs/${QUEUE}`, {
        method: "POST",
        headers: { "x-api-key": API_KEY, "content-type": "application/json" },
        body: job()
      }).then(async (response) => remember(response.status, await response.text()))
    )

    const measured = yield* Effect.gen(function*() {
      const worker = yield* startProbeWorker(server.url, { HEARTBEAT_INTERVAL: "5" })
      yield* Console.log(`api pid ${api.pid}, worker pid ${worker.pid}; warming up`)
      yield* mixedLoad(port, WARMUP_SECONDS)

      const apiRss: RssSeries = { label: "API (node bin/api.js)", samples: [] }
      const workerRss: RssSeries = { label: "worker (node bin/worker.js probe)", samples: [] }
      const depths: Array<Sample> = []
      const started = performance.now()
      const sample = Effect.gen(function*() {
        const seconds = (performance.now() - started) / 1000
        apiRss.samples.push({ x: seconds, y: mb(rssBytes(api.pid!)) })
        workerRss.samples.push({ x: seconds, y: mb(rssBytes(worker.pid!)) })
        depths.push({ seconds, depth: yield* depth })
        const last = depths.at(-1)!
        if (depths.length % Math.max(1, Math.round(30 / SAMPLE_SECONDS)) === 1) {
          yield* Console.log(
            `  ${fmt(seconds)} s: API ${fmt(apiRss.samples.at(-1)!.y, 1)} MB, worker ${fmt(workerRss.samples.at(-1)!.y, 1)} MB, depth ${last.depth}`
          )
        }
      })
      const sampler = yield* sample.pipe(Effect.repeat(Schedule.spaced(`${SAMPLE_SECONDS} seconds`)), Effect.fork)
      const archivedBefore = yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM pgmq.a_probe_load`
      const cpuBefore = [cpuSeconds(api.pid!), cpuSeconds(worker.pid!)]
      const results = yield* mixedLoad(port, SECONDS)
      const elapsed = (performance.now() - started) / 1000
      const cpu = [cpuSeconds(api.pid!), cpuSeconds(worker.pid!)].map((now, i) => (now - cpuBefore[i]!) / elapsed)
      yield* Fiber.interrupt(sampler)
      yield* sample
      const archivedAfter = yield* sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM pgmq.a_probe_load`
      const depthAtEnd = depths.at(-1)!.depth
      // How long the worker takes to empty the queue once the load stops.
      const stopped = performance.now()
      let left = depthAtEnd
      while (left > 0 && performance.now() - stopped < DRAIN_WAIT_SECONDS * 1000) {
        yield* Effect.sleep("200 millis")
        left = yield* depth
      }
      return {
        results,
        cpu,
        apiRss,
        workerRss,
        depths,
        depthAtEnd,
        drainSeconds: left === 0 ? (performance.now() - stopped) / 1000 : undefined,
        archivedDuringRun: archivedAfter[0]!.n - archivedBefore[0]!.n,
        workerPid: worker.pid!
      }
    }).pipe(Effect.scoped)

    // The worker has stopped: its final heartbeat holds its counters.
    const [heartbeat] = yield* sql<{ readonly processed: number; readonly dead: number; readonly failed: number }>`
      SELECT jobs_processed::int AS processed, jobs_dead_lettered::int AS dead, jobs_failed::int AS failed
      FROM workers.heartbeats WHERE pid = ${measured.workerPid} ORDER BY last_heartbeat_at DESC LIMIT 1`
    const [totals] = yield* sql<{ readonly enqueued: number; readonly dead: number; readonly uploads: number }>`
      SELECT (SELECT count(*)::int FROM workers.job_requests WHERE queue_name = ${QUEUE}) AS enqueued,
             (SELECT count(*)::int FROM pgmq.q_dead_letter WHERE message->>'source_queue' = ${QUEUE}) AS dead,
             (SELECT count(*)::int FROM dragonfly.uploads) AS uploads`

    const { apiRss, cpu, depthAtEnd, depths, drainSeconds, results, workerRss } = measured
    const statuses = (result: Result) =>
      Object.entries(result.statusCodeStats ?? {})
        .filter(([code]) => !code.startsWith("2"))
        .map(([code, stats]) => `${code}: ${stats.count ?? 0}`)
        .join(", ") || "none"
    const all = {
      requests: results.reduce((s, r) => s + r.requests.total, 0),
      non2xx: results.reduce((s, r) => s + r.non2xx, 0),
      errors: results.reduce((s, r) => s + r.errors, 0),
      timeouts: results.reduce((s, r) => s + r.timeouts, 0)
    }
    const memory = [apiRss, workerRss].map((series, i) => ({ label: series.label, cpu: cpu[i]!, ...summarize(series, 0) }))
    const verdict = (slope: number) => (slope < FLAT_MB_PER_MIN ? "flat" : "growing")
    const maxDepth = Math.max(...depths.map((d) => d.depth))
    const date = new Date().toISOString().slice(0, 10)

    const markdown = [
      `Run of ${date}: ${fmt(SECONDS)} s measured after ${fmt(WARMUP_SECONDS)} s of warm-up, ${CONNECTIONS} connections ` +
      `(${kinds.map((k) => `${connectionsOf(k)} ${k.name.split(" ")[0]}`).join(", ")}), one autocannon instance per kind; ` +
      `Node ${process.version}, ${cpus().length} cores shared by Postgres, the API, the worker and autocannon.`,
      "",
      "| request | connections | requests | req/s | p50 ms | p99 ms | max ms | non-2xx | errors | timeouts |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      ...results.map((r, i) =>
        `| ${kinds[i]!.name} | ${connectionsOf(kinds[i]!)} | ${fmt(r.requests.total)} | ${fmt(r.requests.average)} | ${
          fmt(r.latency.p50, 1)
        } | ${fmt(r.latency.p99, 1)} | ${fmt(r.latency.max, 1)} | ${statuses(r)} | ${r.errors} | ${r.timeouts} |`
      ),
      `| all | ${CONNECTIONS} | ${fmt(all.requests)} | ${fmt(all.requests / SECONDS)} | | | | ${all.non2xx} | ${all.errors} | ${all.timeouts} |`,
      "",
      `| process | CPU (cores) | RSS at start | at end | max | slope | slope of the floor | memory (flat: floor slope under ${FLAT_MB_PER_MIN} MB/min) |`,
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...memory.map((m) =>
        `| ${m.label} | ${fmt(m.cpu, 2)} | ${fmt(m.start, 1)} MB | ${fmt(m.end, 1)} MB | ${fmt(m.max, 1)} MB | ${signed(m.slope)} | ${
          signed(m.floorSlope)
        } | ${verdict(m.floorSlope)} |`
      ),
      "",
      "| jobs enqueued (whole run) | processed by the worker | processed during the measured run | dead-lettered | queue depth at the end | max depth sampled | emptied after the load in | uploads stored |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      `| ${fmt(totals!.enqueued)} | ${fmt(heartbeat?.processed ?? 0)} | ${fmt(measured.archivedDuringRun)} | ${totals!.dead} | ${
        fmt(depthAtEnd)
      } | ${fmt(maxDepth)} | ${drainSeconds === undefined ? `not within ${DRAIN_WAIT_SECONDS} s` : `${fmt(drainSeconds, 1)} s`} | ${
        fmt(totals!.uploads)
      } |`
    ].join("\n")
    yield* Console.log(`\n${markdown}\n`)
    if (SAMPLES_FILE !== undefined) {
      writeFileSync(
        SAMPLES_FILE,
        ["seconds,api_mb,worker_mb,depth", ...depths.map((d, i) =>
          `${d.seconds.toFixed(1)},${apiRss.samples[i]!.y.toFixed(1)},${workerRss.samples[i]!.y.toFixed(1)},${d.depth}`)].join("\n") + "\n"
      )
    }
    if (WRITE) {
      writeLoadResults("sustained", markdown)
      yield* Console.log("written to docs/reliability.md (<!-- load: sustained -->)")
    }
    if (all.errors + all.timeouts + all.non2xx + totals!.dead > 0) {
      return yield* Effect.dieMessage(
        `load: ${all.errors} errors, ${all.timeouts} timeouts, ${all.non2xx} non-2xx answers, ${totals!.dead} dead letters (table above)`
      )
    }
  }).pipe(Effect.scoped, Effect.provide(PgmqQueue.Default.pipe(Layer.provideMerge(database))))
})

program.pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning), NodeRuntime.runMain)
