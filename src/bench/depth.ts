import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { SqlClient } from "@effect/sql"
import { Console, Effect, Either, Fiber, Layer, Logger, LogLevel } from "effect"
import type { ChildProcess } from "node:child_process"
import { randomUUID } from "node:crypto"
import { mkdtempSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import * as Database from "../db/Database.js"
import { migrate } from "../db/Migrations.js"
import * as EmbeddedPostgres from "../dev/EmbeddedPostgres.js"
import { anyFreePort } from "../dev/ports.js"
import { ImportBatches } from "../domain/imports/index.js"
import * as Envelope from "../envelope/index.js"
import { Monitoring } from "../monitoring/Monitoring.js"
import { PgmqQueue } from "../queue/PgmqQueue.js"
import { queueName } from "../queue/QueueName.js"
import { installProbe } from "../services/probe/schema.js"
import {
  API_KEY,
  cpuSeconds,
  fmt,
  mb,
  median,
  type RssSeries,
  rssBytes,
  runCli,
  signed,
  startApi,
  startProbeWorker,
  summarize,
  timed,
  writeLoadResults
} from "./loadSupport.js"

/**
 * `npm run bench:depth`: DEPTH_JOBS probe jobs (default 1,000,000) queued at once in `probe_depth`,
 * filled by SQL (`pgmq.send_batch` over `generate_series`, valid envelopes built in SQL). At that
 * depth, with no worker running, it times (several runs each; median and max): the operator
 * views as the CLI and the API read them (`workers.v_queue_metrics`, `workers.v_worker_health`,
 * `workers.worker_health(...)`, `workers.find_stale_workers`, the running imports), the CLI
 * process `node bin/dragonfly.js queue inspect` (and `--json`) from spawn to exit, and the API's
 * `GET /v1/queues`, `GET /v1/queues/probe_depth`, `GET /v1/workers` and `GET /v1/jobs/{id}` (a job
 * sent by SQL, found by a search of the queue tables, and an unknown id) on a running
 * `node bin/api.js`. Then three `node bin/worker.js probe` processes drain the queue, their RSS
 * and the depth sampled every few seconds, and the same timings again once half the jobs are
 * gone. At the end every job must be archived (none dead-lettered, the queue empty, one effect
 * row per job): exit 1 otherwise. Markdown tables; EXPLAIN ANALYZE of the slow statements on
 * stdout.
 *
 * DEPTH_JOBS          jobs queued (default 1,000,000)
 * DEPTH_CHUNK         jobs per send_batch statement while filling (default 50,000)
 * DEPTH_WORKERS       probe worker processes draining (default 3)
 * DEPTH_PAYLOAD       record (an effect row per job, in its transaction; default) or noop
 * DEPTH_REPEAT        runs of each timing at full depth (default 5; 3 mid-drain)
 * DEPTH_SAMPLE_SECONDS  RSS and depth sampled this often (default 5)
 * DEPTH_WARMUP_SECONDS  RSS slopes fitted from this long after the workers start (default 30)
 * DEPTH_FLAT_MB_PER_MIN  RSS counts as flat when the slope of its floor (the lowest sample of each 30 s)
 *                    is under this (default 2 MB/min, as bench:load)
 * DEPTH_TIMEOUT_MINUTES  give up the drain after this long (default 90)
 * LOAD_WRITE=1        also write the tables into docs/reliability.md (<!-- load: depth -->)
 */

const JOBS = Number(process.env["DEPTH_JOBS"] ?? 1_000_000)
const CHUNK = Number(process.env["DEPTH_CHUNK"] ?? 50_000)
const WORKERS = Number(process.env["DEPTH_WORKERS"] ?? 3)
const PAYLOAD = process.env["DEPTH_PAYLOAD"] === "noop" ? "noop" : "record"
const REPEAT = Number(process.env["DEPTH_REPEAT"] ?? 5)
const MID_REPEAT = 3
const SAMPLE_SECONDS = Number(process.env["DEPTH_SAMPLE_SECONDS"] ?? 5)
const WARMUP_SECONDS = Number(process.env["DEPTH_WARMUP_SECONDS"] ?? 30)
const FLAT_MB_PER_MIN = Number(process.env["DEPTH_FLAT_MB_PER_MIN"] ?? 2)
const TIMEOUT_MINUTES = Number(process.env["DEPTH_TIMEOUT_MINUTES"] ?? 90)
const WRITE = process.env["LOAD_WRITE"] === "1"
const QUEUE = queueName("probe_depth")
const ORG = "00000000-0000-4000-8000-00000000de97"

/** The runtime's defaults, spelled out: a normal worker, not one tuned for the benchmark. */
const workerEnv = {
  WORKER_CONCURRENCY: "10",
  WORKER_BATCH_SIZE: "200",
  WORKER_VISIBILITY_TIMEOUT: "30",
  HEARTBEAT_INTERVAL: "10"
}

interface Timing {
  readonly name: string
  readonly ms: ReadonlyArray<number>
}

const program = Effect.gen(function*() {
  const root = mkdtempSync(join(tmpdir(), "dragonfly-bench-depth-"))
  const server = yield* EmbeddedPostgres.start({
    dataDir: join(root, "pgdata"),
    preferredPort: 55_437,
    persistent: false,
    durability: "durable"
  })
  const database = Database.layerFromOptions({ url: server.url, poolSize: 4, applicationName: "bench-depth" })

  yield* Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pgmq = yield* PgmqQueue
    const monitoring = yield* Monitoring
    const imports = yield* ImportBatches
    yield* migrate
    yield* installProbe
    yield* pgmq.create(QUEUE)
    yield* Console.log(
      `Dragonfly at depth: ${fmt(JOBS)} probe jobs (${PAYLOAD}) in ${QUEUE}, ${WORKERS} workers to drain them; ` +
        `embedded PostgreSQL, Node ${process.version}, ${cpus().length} cores`
    )

    // --- fill ----------------------------------------------------------------------------------
    const payload = JSON.stringify({ action: PAYLOAD })
    const fillStarted = performance.now()
    for (let from = 1; from <= JOBS; from += CHUNK) {
      const to = Math.min(JOBS, from + CHUNK - 1)
      yield* sql`
        SELECT count(*) FROM pgmq.send_batch(${QUEUE}::text, ARRAY(
          SELECT jsonb_build_object(
            'job_id', gen_random_uuid()::text,
            'trace_id', gen_random_uuid()::text,
            'org_id', ${ORG}::text,
            'idempotency_key', 'depth-' || g,
            'entity_type', 'batch',
            'entity_id', 'depth',
            'attempt', 1,
            'created_at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'payload', ${payload}::jsonb)
          FROM generate_series(${from}::int, ${to}::int) AS g), 0)`
    }
    const fillSeconds = (performance.now() - fillStarted) / 1000
    yield* sql`ANALYZE pgmq.q_probe_depth`
    const [size] = yield* sql<{ readonly bytes: number }>`
      SELECT pg_total_relation_size('pgmq.q_probe_depth')::float8 AS bytes`
    yield* Console.log(`filled in ${fmt(fillSeconds, 1)} s (${fmt(JOBS / fillSeconds)} jobs/s); queue table ${fmt(mb(size!.bytes))} MB`)
    // The envelopes built in SQL must be what a worker decodes.
    const [sample] = yield* pgmq.find(QUEUE, { limit: 1 })
    const decoded = Envelope.decodeEither(sample?.message)
    if (Either.isLeft(decoded)) return yield* Effect.dieMessage(`depth: the SQL envelope does not decode: ${decoded.left.message}`)
    const queuedJobId = decoded.right.job_id

    // --- timings ---------------------------------------------------------------------------------
    const port = yield* anyFreePort
    yield* startApi(server.url, port)
    const get = (path: string, expected: number) =>
      Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}${path}`, { headers: { "x-api-key": API_KEY } }).then(async (response) => {
          await response.arrayBuffer()
          return response.status
        })
      ).pipe(
        Effect.flatMap((status) =>
          status === expected ? Effect.void : Effect.dieMessage(`depth: GET ${path} answered ${status}, not ${expected}`)
        )
      )
    const cli = (args: ReadonlyArray<string>) =>
      Effect.flatMap(runCli(server.url, args), (run) =>
        run.code === 0 ? Effect.void : Effect.dieMessage(`depth: dragonfly ${args.join(" ")} exited with ${run.code}`))
    const probes: ReadonlyArray<{ readonly name: string; readonly run: Effect.Effect<unknown> }> = [
      { name: "`workers.v_queue_metrics` (SQL, as `queue inspect` and `/v1/queues` read it)", run: monitoring.queues() },
      { name: "`workers.v_worker_health` (SQL)", run: monitoring.workers() },
      { name: "`workers.worker_health(5 min, 60 min)` (SQL, `monitor workers`)", run: monitoring.health({ staleMinutes: 5, goneMinutes: 60 }) },
      { name: "`workers.find_stale_workers(5)` (SQL)", run: monitoring.workers(5) },
      { name: "running imports (SQL, `queue inspect`)", run: Effect.orDie(imports.running()) },
      { name: "`node bin/dragonfly.js queue inspect` (process, spawn to exit)", run: cli(["queue", "inspect"]) },
      { name: "`node bin/dragonfly.js queue inspect --json` (process)", run: cli(["queue", "inspect", "--json"]) },
      { name: "`GET /v1/queues`", run: get("/v1/queues", 200) },
      { name: `\`GET /v1/queues/${QUEUE}\` (peek 10)`, run: get(`/v1/queues/${QUEUE}`, 200) },
      { name: "`GET /v1/workers`", run: get("/v1/workers", 200) },
      { name: "`GET /v1/jobs/{id}`, a job sent by SQL (searched for in the queue tables)", run: get(`/v1/jobs/${queuedJobId}`, 200) },
      { name: "`GET /v1/jobs/{id}`, an unknown id (404)", run: get(`/v1/jobs/${randomUUID()}`, 404) }
    ]
    const timeAll = (times: number) =>
      Effect.forEach(probes, (probe) =>
        Effect.map(timed(times, probe.run), (ms): Timing => ({ name: probe.name, ms })))

    // One untimed run of each first (connections, caches).
    yield* timeAll(1)
    yield* Console.log(`timing at depth ${fmt(JOBS)}, ${REPEAT} runs each`)
    const atRest = yield* timeAll(REPEAT)
    for (const t of atRest) yield* Console.log(`  ${t.name}: median ${fmt(median(t.ms))} ms, max ${fmt(Math.max(...t.ms))} ms`)

    const explain = (label: string, statement: string) =>
      Effect.gen(function*() {
        const rows = yield* sql.unsafe<{ readonly "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement}`)
        yield* Console.log(`\nEXPLAIN ANALYZE, ${label}:\n${rows.map((row) => `  ${row["QUERY PLAN"]}`).join("\n")}`)
      })
    // The statement `workers.queue_metrics()` runs for each queue (a plpgsql loop: EXPLAIN of the view shows only a function scan).
    yield* explain(
      "the per-queue statement of workers.queue_metrics() on probe_depth",
      `SELECT 'probe_depth'::text, count(*), count(*) FILTER (WHERE vt <= clock_timestamp()),
              count(*) FILTER (WHERE enqueued_at < now() - interval '5 minutes'),
              floor(extract(epoch FROM now() - min(enqueued_at)))::integer,
              floor(extract(epoch FROM now() - max(enqueued_at)))::integer,
              (SELECT m.total_messages FROM pgmq.metrics('probe_depth') m)
       FROM pgmq.q_probe_depth`
    )
    yield* explain("pgmq.metrics('probe_depth') (called by the statement above)", `SELECT * FROM pgmq.metrics('probe_depth')`)
    yield* explain(
      "the job status search of a queue table by job id (GET /v1/jobs/{id} of a job the API did not send)",
      `SELECT msg_id, read_ct, enqueued_at, vt, message FROM pgmq.q_probe_depth
       WHERE message @> '{"job_id":"${randomUUID()}"}'::jsonb ORDER BY msg_id DESC LIMIT 1`
    )

    // --- drain -----------------------------------------------------------------------------------
    const drain = yield* Effect.gen(function*() {
      const depth = Effect.map(
        sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM pgmq.q_probe_depth`,
        (rows) => rows[0]!.n
      )
      const started = performance.now()
      const workers: ReadonlyArray<ChildProcess> = yield* Effect.forEach(
        Array.from({ length: WORKERS }),
        () => startProbeWorker(server.url, workerEnv),
        { concurrency: WORKERS }
      )
      const cpuBefore = workers.map((w) => cpuSeconds(w.pid!))
      const rss: ReadonlyArray<RssSeries> = workers.map((w, i) => ({ label: `worker ${i + 1} (pid ${w.pid})`, samples: [] }))
      const depths: Array<{ readonly seconds: number; readonly depth: number }> = [{ seconds: 0, depth: JOBS }]
      let midDrain: Fiber.RuntimeFiber<ReadonlyArray<Timing>> | undefined
      let midDepth = 0
      const deadline = started + TIMEOUT_MINUTES * 60_000
      while (true) {
        yield* Effect.sleep(`${SAMPLE_SECONDS} seconds`)
        const seconds = (performance.now() - started) / 1000
        workers.forEach((w, i) => rss[i]!.samples.push({ x: seconds, y: mb(rssBytes(w.pid!)) }))
        const dead = workers.find((w) => w.exitCode !== null || w.signalCode !== null)
        if (dead !== undefined) return yield* Effect.dieMessage(`depth: worker pid ${dead.pid} exited (${dead.exitCode ?? dead.signalCode})`)
        const left = yield* depth
        depths.push({ seconds, depth: left })
        if (depths.length % Math.max(1, Math.round(30 / SAMPLE_SECONDS)) === 0 || left === 0) {
          yield* Console.log(
            `  ${fmt(seconds)} s: depth ${fmt(left)}, RSS ${rss.map((r) => `${fmt(r.samples.at(-1)!.y)} MB`).join(" / ")}`
          )
        }
        if (midDrain === undefined && left <= JOBS / 2) {
          midDepth = left
          midDrain = yield* Effect.fork(timeAll(MID_REPEAT))
        }
        if (left === 0 || performance.now() > deadline) break
      }
      const seconds = (performance.now() - started) / 1000
      const cpu = workers.map((w, i) => (cpuSeconds(w.pid!) - cpuBefore[i]!) / seconds)
      const mid = midDrain === undefined ? undefined : yield* Fiber.join(midDrain)
      return { seconds, cpu, rss, depths, mid, midDepth, pids: workers.map((w) => w.pid!) }
    }).pipe(Effect.scoped)

    // --- checks ------------------------------------------------------------------------------------
    const [check] = yield* sql<{
      readonly left: number
      readonly archived: number
      readonly dead: number
      readonly ledger: number
      readonly effects: number
      readonly distinct_effects: number
      readonly processed: number
    }>`
      SELECT (SELECT count(*)::int FROM pgmq.q_probe_depth) AS left,
             (SELECT count(*)::int FROM pgmq.a_probe_depth) AS archived,
             (SELECT count(*)::int FROM pgmq.q_dead_letter WHERE message->>'source_queue' = ${QUEUE}) AS dead,
             (SELECT count(*)::int FROM workers.job_ledger WHERE queue_name = ${QUEUE}) AS ledger,
             (SELECT count(*)::int FROM workers.probe_effects WHERE org_id = ${ORG}::uuid) AS effects,
             (SELECT count(DISTINCT idempotency_key)::int FROM workers.probe_effects WHERE org_id = ${ORG}::uuid) AS distinct_effects,
             (SELECT coalesce(sum(jobs_processed), 0)::int FROM workers.heartbeats WHERE pid = ANY(${drain.pids}::int[])) AS processed`
    const expectedEffects = PAYLOAD === "record" ? JOBS : 0
    const ok = check!.left === 0 && check!.archived === JOBS && check!.dead === 0 && check!.ledger === JOBS &&
      check!.effects === expectedEffects && check!.distinct_effects === expectedEffects

    // Jobs per second over each quarter of the jobs, from the depth samples.
    const quarter = (from: number, to: number) => {
      const first = drain.depths.find((d) => d.depth <= JOBS * (1 - from))
      const last = drain.depths.find((d) => d.depth <= JOBS * (1 - to))
      return first === undefined || last === undefined || last.seconds === first.seconds
        ? "–"
        : fmt((first.depth - last.depth) / (last.seconds - first.seconds))
    }
    const memory = drain.rss.map((series, i) => ({ label: series.label, cpu: drain.cpu[i]!, ...summarize(series, WARMUP_SECONDS) }))
    const ms = (values: ReadonlyArray<number> | undefined) =>
      values === undefined ? "–" : `${fmt(median(values))} / ${fmt(Math.max(...values))}`
    const date = new Date().toISOString().slice(0, 10)
    const markdown = [
      `Run of ${date}: ${fmt(JOBS)} jobs (payload \`${PAYLOAD}\`) queued in \`${QUEUE}\` by \`pgmq.send_batch\` in chunks of ${fmt(CHUNK)}, ` +
      `${fmt(fillSeconds, 1)} s (${fmt(JOBS / fillSeconds)} jobs/s), queue table ${fmt(mb(size!.bytes))} MB; Node ${process.version}, ` +
      `${cpus().length} cores shared by Postgres, the API, the workers and the CLI.`,
      "",
      `| read | at ${fmt(JOBS)} queued, no worker: median / max ms (${REPEAT} runs) | mid-drain, ${fmt(drain.midDepth)} queued, ${WORKERS} workers running: median / max ms (${MID_REPEAT} runs) |`,
      "| --- | --- | --- |",
      ...atRest.map((t) => `| ${t.name} | ${ms(t.ms)} | ${ms(drain.mid?.find((m) => m.name === t.name)?.ms)} |`),
      "",
      `| jobs | workers | drained in | jobs/s | jobs/s by quarter (first → last) | archived | dead-lettered | left in queue | ledger rows | effect rows (distinct) | processed (heartbeats) |`,
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      `| ${fmt(JOBS)} | ${WORKERS} × concurrency ${workerEnv.WORKER_CONCURRENCY}, batch ${workerEnv.WORKER_BATCH_SIZE} | ${fmt(drain.seconds, 1)} s | ${
        fmt(JOBS / drain.seconds)
      } | ${[quarter(0, 0.25), quarter(0.25, 0.5), quarter(0.5, 0.75), quarter(0.75, 1)].join(" → ")} | ${fmt(check!.archived)} | ${check!.dead} | ${
        fmt(check!.left)
      } | ${fmt(check!.ledger)} | ${fmt(check!.effects)} (${fmt(check!.distinct_effects)}) | ${fmt(check!.processed)} |`,
      "",
      `| worker | CPU (cores) | RSS at ${WARMUP_SECONDS} s | at end | max | slope after ${WARMUP_SECONDS} s | slope of the floor | memory (flat: floor slope under ${FLAT_MB_PER_MIN} MB/min) |`,
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...memory.map((m) =>
        `| ${m.label.replace(/ \(pid \d+\)/, "")} | ${fmt(m.cpu, 2)} | ${fmt(m.start, 1)} MB | ${fmt(m.end, 1)} MB | ${fmt(m.max, 1)} MB | ${
          signed(m.slope)
        } | ${signed(m.floorSlope)} | ${m.floorSlope < FLAT_MB_PER_MIN ? "flat" : "growing"} |`
      )
    ].join("\n")
    yield* Console.log(`\n${markdown}\n`)
    if (WRITE) {
      writeLoadResults("depth", markdown)
      yield* Console.log("written to docs/reliability.md (<!-- load: depth -->)")
    }
    if (!ok) {
      return yield* Effect.dieMessage(
        `depth: not every job was archived exactly once: ${JSON.stringify(check)} (expected ${JOBS} archived and ledger rows, ${expectedEffects} effects)`
      )
    }
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.mergeAll(Monitoring.Default, ImportBatches.Default, PgmqQueue.Default).pipe(Layer.provideMerge(database)))
  )
})

program.pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Warning), NodeRuntime.runMain)
