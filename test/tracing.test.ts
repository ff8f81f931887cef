import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Ref } from "effect"
import { closedPort } from "./support/net.js"
import { type ReceivedSpan, otlpReceiver } from "./support/otlpReceiver.js"
import { startNode } from "./support/processes.js"
import { envelope, eventually, ORG } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

const KEY = "tracing-test-key-0123456789"

const hex = (uuid: string) => uuid.replaceAll("-", "")

/** A database of the test's own, an OTLP receiver, a free port for the API and the services' environment. */
const tracedSetup = Effect.gen(function*() {
  const url = yield* TestDatabase.freshDatabase()
  const receiver = yield* otlpReceiver
  const port = yield* closedPort
  const env = {
    SUPABASE_DB_URL: Redacted.value(url),
    SUPABASE_MODE: "dev",
    ENVIRONMENT: "test",
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    LOG_LEVEL: "info"
  }
  return { env, port, receiver }
})

describe("traces over OTLP/HTTP", () => {
  it.scopedLive("an API enqueue and the worker's job span share the envelope's trace, the job a child of the enqueue", () =>
    Effect.gen(function*() {
      const { env, port, receiver } = yield* tracedSetup
      const api = yield* startNode(["bin/api.js"], { ...env, PORT: String(port), DRAGONFLY_API_KEY: KEY })
      const worker = yield* startNode(["bin/worker.js", "probe"], { ...env, WORKER_IDLE_POLL_MS: "50" })
      yield* Effect.all([api.waitFor(/Listening on/), worker.waitFor(/consuming probe_\* /)], { concurrency: 2 })

      const post = (body: unknown) =>
        Effect.promise(async () => {
          const response = await fetch(`http://127.0.0.1:${port}/v1/jobs/probe_main`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-api-key": KEY },
            body: JSON.stringify(body)
          })
          return { status: response.status, json: await response.json() as { job_id: string; trace_id: string } }
        })
      // One envelope without a trace_id (the request's trace becomes it), one with the caller's.
      const { trace_id: _omitted, ...withoutTrace } = envelope({ action: "noop" }, "traced-1") as Record<string, unknown>
      const callerTrace = "7a3b1c2d-0000-4000-8000-00000000abcd"
      const [derived, given] = yield* Effect.all([
        post(withoutTrace),
        post({ ...envelope({ action: "noop" }, "traced-2"), trace_id: callerTrace })
      ])
      assert.strictEqual(derived.status, 202)
      assert.strictEqual(given.status, 202)
      assert.strictEqual(given.json.trace_id, callerTrace)

      const jobSpan = (jobId: string) =>
        Effect.map(Ref.get(receiver.spans), (spans) =>
          spans.find((span) => span.name === "Worker.job" && span.attributes["job_id"] === jobId))
      // Each process exports on its own schedule: wait for both jobs' spans and their parents.
      const exported = Effect.gen(function*() {
        const spans = yield* Ref.get(receiver.spans)
        const jobs = yield* Effect.all([jobSpan(derived.json.job_id), jobSpan(given.json.job_id)])
        return jobs.every((job) => job !== undefined && spans.some((span) => span.spanId === job.parentSpanId))
      })
      yield* eventually(exported, "60 seconds").pipe(
        Effect.catchAllDefect((defect) =>
          Effect.flatMap(Ref.get(receiver.spans), (spans) =>
            Effect.dieMessage(`${defect}; spans: ${spans.map((s) => `${s.service}:${s.name}:${s.traceId}/${s.spanId}<-${s.parentSpanId}`).join("\n")}`)
          ))
      )
      const spans = yield* Ref.get(receiver.spans)
      const byId = new Map(spans.map((span) => [span.spanId, span]))
      const ancestry = (span: ReceivedSpan): Array<ReceivedSpan> => {
        const parent = span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId)
        return parent === undefined ? [span] : [span, ...ancestry(parent)]
      }

      for (const accepted of [derived, given]) {
        const job = (yield* jobSpan(accepted.json.job_id))!
        assert.strictEqual(job.service, "dragonfly-worker-probe")
        assert.strictEqual(job.traceId, hex(accepted.json.trace_id))
        // Its parent is the API's enqueue span, exported by the other process, in the same trace.
        const enqueue = byId.get(job.parentSpanId!)
        assert.isDefined(enqueue, `the job span's parent ${job.parentSpanId} was exported`)
        assert.strictEqual(enqueue!.service, "dragonfly-api")
        assert.strictEqual(enqueue!.name, "JobRequests.enqueue")
        assert.strictEqual(enqueue!.traceId, job.traceId)
      }
      // Without a trace_id of its own, the envelope's trace is the HTTP request's.
      const derivedJob = (yield* jobSpan(derived.json.job_id))!
      assert.isTrue(
        ancestry(derivedJob).some((span) => span.service === "dragonfly-api" && span.name.startsWith("http.server POST")),
        ancestry(derivedJob).map((span) => `${span.service}:${span.name}`).join(" ← ")
      )
    }), 120_000)

  it.scopedLive("an upload's trace runs through the ingest job, its SQL, and the score job it enqueues, in three processes", () =>
    Effect.gen(function*() {
      const { env, port, receiver } = yield* tracedSetup
      const api = yield* startNode(["bin/api.js"], { ...env, PORT: String(port), DRAGONFLY_API_KEY: KEY })
      const ingest = yield* startNode(["bin/worker.js", "ingest"], { ...env, WORKER_IDLE_POLL_MS: "50" })
      const score = yield* startNode(["bin/worker.js", "score"], { ...env, WORKER_IDLE_POLL_MS: "50" })
      yield* Effect.all([
        api.waitFor(/Listening on/),
        ingest.waitFor(/consuming ingest_raw /),
        score.waitFor(/consuming score_collectability /)
      ], { concurrency: 3 })

      const csv = [
        "Plaintiff Name,Case Number,Debtor First Name,Debtor Last Name,Judgment Date,Judgment Amount,Current Balance Due",
        "Example Funding LLC (TEST),TR-1,Ada,Lovelace,01/02/2020,\"$1,000.00\",900"
      ].join("\n")
      const uploaded = yield* Effect.promise(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/v1/uploads?enqueue=ingest&org_id=${ORG}&filename=traced.csv`, {
          method: "POST",
          headers: { "content-type": "text/csv", "x-api-key": KEY },
          body: csv
        })
        return { status: response.status, text: await response.text() }
      })
      assert.strictEqual(uploaded.status, 201, uploaded.text)

      const chain = Effect.map(Ref.get(receiver.spans), (spans) => {
        const byId = new Map(spans.map((span) => [span.spanId, span]))
        const ancestry = (span: ReceivedSpan): Array<ReceivedSpan> => {
          const parent = span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId)
          return parent === undefined ? [span] : [span, ...ancestry(parent)]
        }
        const scoreJob = spans.find((span) => span.service === "dragonfly-worker-score" && span.name === "Worker.job")
        return { spans, scoreJob, path: scoreJob === undefined ? [] : ancestry(scoreJob) }
      })
      const describePath = (path: ReadonlyArray<ReceivedSpan>) => path.map((span) => `${span.service}:${span.name}`).join(" ← ")
      yield* eventually(
        Effect.map(chain, ({ path }) => path.some((span) => span.service === "dragonfly-api")),
        "60 seconds"
      ).pipe(
        Effect.catchAllDefect((defect) =>
          Effect.flatMap(chain, ({ path }) => Effect.dieMessage(`${defect}; the score job's ancestry: ${describePath(path)}`)))
      )
      const { path, spans } = yield* chain
      // score job ← the ingest job's enqueue ← the ingest job ← … ← the upload request, one trace.
      assert.strictEqual(new Set(path.map((span) => span.traceId)).size, 1, describePath(path))
      assert.strictEqual(path[1]!.service, "dragonfly-worker-ingest", describePath(path))
      assert.strictEqual(path[1]!.name, "JobRequests.enqueue")
      const ingestJob = path.find((span) => span.service === "dragonfly-worker-ingest" && span.name === "Worker.job")
      assert.isDefined(ingestJob, describePath(path))
      assert.isTrue(path.some((span) => span.service === "dragonfly-api" && span.name.startsWith("http.server POST")), describePath(path))
      // The ingest job's own SQL is among its descendants.
      const underIngest = (span: ReceivedSpan): boolean => {
        const parent = spans.find((candidate) => candidate.spanId === span.parentSpanId)
        return parent !== undefined && (parent.spanId === ingestJob!.spanId || underIngest(parent))
      }
      assert.isTrue(spans.some((span) => span.name.startsWith("sql.") && underIngest(span)))
    }), 120_000)
})
