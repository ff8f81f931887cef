import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric, MetricBoundaries, Redacted, TestServices } from "effect"
import * as Net from "node:net"
import * as Database from "../src/db/Database.js"
import * as Prometheus from "../src/observability/Prometheus.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import * as ApiTest from "./support/api.js"
import { authorized, raw } from "./support/api.js"
import { closedPort } from "./support/net.js"
import { runNode, startNode } from "./support/processes.js"
import { parse, type Sample, valueOf } from "./support/prometheus.js"
import { count, envelope, eventually, PROBE_QUEUE, send } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

describe("Prometheus text format", () => {
  it.effect("counters, gauges and histograms with labels, HELP and TYPE once per name, escapes applied", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("test_render_requests_total", { description: "Requests\nby route", incremental: true })
      yield* Metric.incrementBy(Metric.tagged(counter, "route", "/v1/jobs/:queue"), 3)
      yield* Metric.incrementBy(Metric.tagged(counter, "route", 'a "quoted" \\ path'), 1)
      yield* Metric.set(Metric.tagged(Metric.gauge("test_render_depth"), "queue", "q1"), 42)
      const histogram = Metric.histogram("test_render_seconds", MetricBoundaries.fromIterable([0.1, 1]), "Latency")
      for (const value of [0.05, 0.5, 5]) yield* Metric.update(histogram, value)

      const text = Prometheus.render(Metric.unsafeSnapshot().filter((pair) => pair.metricKey.name.startsWith("test_render_")))
      const samples = parse(text)
      assert.strictEqual(text.match(/^# TYPE test_render_requests_total counter$/gm)?.length, 1)
      assert.include(text, "# HELP test_render_requests_total Requests\\nby route\n")
      assert.strictEqual(valueOf(samples, "test_render_requests_total", { route: "/v1/jobs/:queue" }), 3)
      assert.strictEqual(valueOf(samples, "test_render_requests_total", { route: 'a "quoted" \\ path' }), 1)
      assert.include(text, "# TYPE test_render_depth gauge\ntest_render_depth{queue=\"q1\"} 42\n")
      assert.include(text, "# TYPE test_render_seconds histogram\n")
      // Buckets are cumulative, +Inf counts every observation.
      assert.strictEqual(valueOf(samples, "test_render_seconds_bucket", { le: "0.1" }), 1)
      assert.strictEqual(valueOf(samples, "test_render_seconds_bucket", { le: "1" }), 2)
      assert.strictEqual(valueOf(samples, "test_render_seconds_bucket", { le: "+Inf" }), 3)
      assert.strictEqual(valueOf(samples, "test_render_seconds_count"), 3)
      assert.closeTo(valueOf(samples, "test_render_seconds_sum")!, 5.55, 1e-9)
    }))
})

const scrapeApi = Effect.flatMap(raw("/metrics", { headers: authorized() }), (response) => {
  assert.strictEqual(response.status, 200, response.text)
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/)
  return Effect.succeed(parse(response.text))
})

describe("GET /metrics on the API", () => {
  it.layer(ApiTest.layer())("scraped", (it) => {
    it.effect("needs the API key", () =>
      Effect.gen(function*() {
        const denied = yield* raw("/metrics")
        assert.strictEqual(denied.status, 401)
        assert.notInclude(denied.text, "dragonfly_")
      }))

    it.effect("counts requests by route template and status, and times enqueues by queue", () =>
      Effect.gen(function*() {
        const route = { route: "/v1/jobs/:queue", status: "202" }
        const before = yield* scrapeApi
        const client = yield* ApiTest.client()
        yield* client.jobs.enqueue({ path: { queue: "probe_main" }, payload: envelope({ action: "noop" }) })
        yield* client.jobs.enqueue({ path: { queue: "probe_main" }, payload: envelope({ action: "noop" }) })
        const unknown = yield* raw("/v1/jobs/00000000-0000-4000-8000-000000000000", { headers: authorized() })
        assert.strictEqual(unknown.status, 404)
        const after = yield* scrapeApi
        const delta = (samples: ReadonlyArray<Sample>, name: string, labels: Record<string, string>) =>
          (valueOf(samples, name, labels) ?? 0)
        assert.strictEqual(
          delta(after, "dragonfly_api_requests_total", route) - delta(before, "dragonfly_api_requests_total", route),
          2
        )
        // The job id is not a label: the route template is.
        assert.strictEqual(valueOf(after, "dragonfly_api_requests_total", { route: "/v1/jobs/:job_id", status: "404" }), 1)
        assert.isFalse(after.some((sample) => Object.values(sample.labels).some((value) => value.includes("00000000-"))))
        assert.strictEqual(
          delta(after, "dragonfly_enqueue_duration_seconds_count", { queue: "probe_main" }) -
            delta(before, "dragonfly_enqueue_duration_seconds_count", { queue: "probe_main" }),
          2
        )
      }))

    it.effect("queue depth and oldest age per queue, sampled from the view", () =>
      Effect.gen(function*() {
        const pgmq = yield* PgmqQueue
        yield* pgmq.purge(PROBE_QUEUE)
        yield* pgmq.sendBatch(PROBE_QUEUE, [1, 2, 3].map((n) => envelope({ action: "noop", n })))
        // The sampler runs on the real clock: so does the wait for it.
        yield* TestServices.provideLive(eventually(
          Effect.map(scrapeApi, (samples) => valueOf(samples, "dragonfly_queue_depth", { queue: "probe_main" }) === 3),
          "30 seconds"
        ))
        const samples = yield* scrapeApi
        assert.strictEqual(valueOf(samples, "dragonfly_queue_visible", { queue: "probe_main" }), 3)
        assert.isAtLeast(valueOf(samples, "dragonfly_queue_oldest_age_seconds", { queue: "probe_main" })!, 0)
        assert.isDefined(valueOf(samples, "dragonfly_queue_depth", { queue: "score_collectability" }))
      }), { timeout: 40_000 })
  })
})

const withDatabase = <A, E, R>(self: (url: Redacted.Redacted<string>) => Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.gen(function*() {
    const url = yield* TestDatabase.freshDatabase()
    const database = Database.layerFromOptions({ url, poolSize: 2, applicationName: "test" }).pipe(Layer.orDie)
    return yield* Effect.scoped(self(url)).pipe(Effect.provide(PgmqQueue.Default.pipe(Layer.provideMerge(database))))
  }))

describe("a worker's METRICS_PORT", () => {
  it.scopedLive("serves its job metrics to the bearer of METRICS_TOKEN; the heartbeat counts the same", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        const port = yield* closedPort
        const token = "metrics-token-0123456789"
        const worker = yield* startNode(["bin/worker.js", "probe"], {
          SUPABASE_DB_URL: Redacted.value(url),
          SUPABASE_MODE: "dev",
          ENVIRONMENT: "test",
          HEARTBEAT_INTERVAL: "1",
          WORKER_IDLE_POLL_MS: "50",
          WORKER_MAX_ATTEMPTS: "1",
          METRICS_PORT: String(port),
          METRICS_TOKEN: token,
          LOG_LEVEL: "info"
        })
        yield* worker.waitFor(new RegExp(`metrics on port ${port}`))
        const pgmq = yield* PgmqQueue
        yield* pgmq.sendBatch(PROBE_QUEUE, Array.from({ length: 5 }, (_, i) => envelope({ action: "record" }, `metrics-${i}`)))
        yield* send({ not: "an envelope" })
        yield* send(envelope({ action: "fail", kind: "retryable", times: 5 }, "metrics-failing"))
        yield* eventually(
          Effect.map(count("SELECT count(*) AS n FROM pgmq.q_dead_letter"), (n) => n === 2),
          "30 seconds"
        )

        const get = (headers: Record<string, string> = {}) =>
          Effect.promise(async () => {
            const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers })
            return { status: response.status, type: response.headers.get("content-type"), text: await response.text() }
          })
        const [none, wrong] = yield* Effect.all([get(), get({ authorization: "Bearer nope" })])
        assert.strictEqual(none.status, 401)
        assert.strictEqual(wrong.status, 401)
        assert.notInclude(none.text + wrong.text, "dragonfly_")

        const scraped = yield* get({ authorization: `Bearer ${token}` })
        assert.strictEqual(scraped.status, 200)
        assert.match(scraped.type ?? "", /^text\/plain; version=0\.0\.4/)
        const samples = parse(scraped.text)
        const queue = { queue: "probe_main" }
        assert.strictEqual(valueOf(samples, "dragonfly_jobs_completed_total", queue), 5)
        assert.strictEqual(valueOf(samples, "dragonfly_jobs_started_total", queue), 7)
        assert.strictEqual(valueOf(samples, "dragonfly_jobs_failed_total", queue), 1)
        assert.strictEqual(valueOf(samples, "dragonfly_jobs_dead_lettered_total", { queue: "probe_main", reason: "invalid_envelope" }), 1)
        assert.strictEqual(
          valueOf(samples, "dragonfly_jobs_dead_lettered_total", { queue: "probe_main", reason: "max_attempts_exceeded" }),
          1
        )
        assert.strictEqual(valueOf(samples, "dragonfly_job_duration_seconds_count", queue), 5)
        assert.strictEqual(valueOf(samples, "dragonfly_job_queue_wait_seconds_count", queue), 7)
        assert.isAtLeast(valueOf(samples, "dragonfly_commit_batch_size_count") ?? 0, 1)

        // The heartbeat reads the same counters.
        yield* eventually(
          Effect.map(
            count(`SELECT (jobs_processed * 10000 + jobs_failed * 100 + jobs_dead_lettered) AS n FROM workers.heartbeats
              WHERE pid = ${worker.child.pid!}`),
            (n) => n === 5 * 10000 + 1 * 100 + 2
          ),
          "30 seconds"
        )
        const notFound = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/other`))
        assert.strictEqual(notFound.status, 404)
      })), 90_000)

  it.scopedLive("a METRICS_PORT in use stops the worker with one line naming it", () =>
    withDatabase((url) =>
      Effect.gen(function*() {
        const busy = yield* Effect.acquireRelease(
          Effect.async<Net.Server>((resume) => {
            const server = Net.createServer()
            server.listen(0, "0.0.0.0", () => resume(Effect.succeed(server)))
          }),
          (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
        )
        const port = (busy.address() as Net.AddressInfo).port
        const result = yield* runNode(["bin/worker.js", "probe"], {
          SUPABASE_DB_URL: Redacted.value(url),
          SUPABASE_MODE: "dev",
          ENVIRONMENT: "test",
          METRICS_PORT: String(port)
        })
        assert.strictEqual(result.code, 1, result.stdout + result.stderr)
        assert.include(
          result.stderr,
          `port ${port} is in use (METRICS_PORT); stop what listens there, or choose another port`
        )
      })), 60_000)
})
