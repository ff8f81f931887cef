import { SqlClient } from "@effect/sql"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { randomUUID } from "node:crypto"
import { JobAccepted, JobAlreadyEnqueued } from "../src/api/schemas.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import * as ApiTest from "./support/api.js"
import { authorized, raw } from "./support/api.js"
import { deadLetter } from "./support/deadLetters.js"
import { count, envelope, eventually, ORG, PROBE_QUEUE, probeWorker, recordedAlerts } from "./support/runtime.js"

const job = (overrides: Record<string, unknown> = {}) => ({
  org_id: ORG,
  idempotency_key: randomUUID(),
  entity_type: "batch",
  entity_id: "api-test",
  payload: { action: "record" },
  ...overrides
})

const messagesWithKey = (key: string) =>
  count(`SELECT count(*) AS n FROM pgmq.q_probe_main WHERE message->>'idempotency_key' = '${key}'`)

describe("API: jobs", () => {
  layer(ApiTest.layer().pipe(Layer.provideMerge(recordedAlerts)), { excludeTestServices: true })("POST /v1/jobs/{queue}, GET /v1/jobs/{job_id}", (it) => {
    it.effect("202 with job_id, msg_id and queue; the automatic fields are filled on the message", () =>
      Effect.gen(function*() {
        const client = yield* ApiTest.client()
        const body = job()
        const result = yield* client.jobs.enqueue({ path: { queue: "probe_main" }, payload: body })
        assert.instanceOf(result, JobAccepted)
        const accepted = result as JobAccepted
        assert.strictEqual(accepted.queue, "probe_main")
        const pgmq = yield* PgmqQueue
        const [message] = yield* pgmq.find(PROBE_QUEUE, { msgIds: [accepted.msg_id as never] })
        const sent = message!.message as Record<string, unknown>
        assert.strictEqual(sent["job_id"], accepted.job_id)
        assert.strictEqual(sent["trace_id"], accepted.trace_id)
        assert.strictEqual(sent["attempt"], 1)
        assert.match(String(sent["created_at"]), /^\d{4}-\d{2}-\d{2}T/)
        assert.deepStrictEqual(sent["payload"], { action: "record" })
        const raw202 = yield* raw("/v1/jobs/probe_main", {
          method: "POST",
          headers: authorized({ "content-type": "application/json" }),
          body: JSON.stringify(job())
        })
        assert.strictEqual(raw202.status, 202)
      }))

    it.effect("the request's trace id becomes the envelope's trace_id when it has none", () =>
      Effect.gen(function*() {
        const traceId = "0af7651916cd43dd8448eb211c80319c"
        const response = yield* raw("/v1/jobs/probe_main", {
          method: "POST",
          headers: authorized({ "content-type": "application/json", traceparent: `00-${traceId}-b7ad6b7169203331-01` }),
          body: JSON.stringify(job())
        })
        assert.strictEqual(response.status, 202)
        assert.strictEqual(response.json.trace_id, "0af76519-16cd-43dd-8448-eb211c80319c")
        const own = "11111111-2222-4333-8444-555555555555"
        const kept = yield* raw("/v1/jobs/probe_main", {
          method: "POST",
          headers: authorized({ "content-type": "application/json", traceparent: `00-${traceId}-b7ad6b7169203331-01` }),
          body: JSON.stringify(job({ trace_id: own }))
        })
        assert.strictEqual(kept.json.trace_id, own)
      }))

    it.effect("an unknown queue, a malformed name and the dead-letter queue are 404", () =>
      Effect.gen(function*() {
        const client = yield* ApiTest.client()
        for (const queue of ["no_such_queue", "Bad-Name!", "dead_letter"]) {
          const error = yield* Effect.flip(client.jobs.enqueue({ path: { queue }, payload: job() }))
          assert.strictEqual(error._tag, "NotFound", queue)
        }
      }))

    it.effect("an invalid envelope is a 422 listing every field problem", () =>
      Effect.gen(function*() {
        const response = yield* raw("/v1/jobs/probe_main", {
          method: "POST",
          headers: authorized({ "content-type": "application/json" }),
          body: JSON.stringify({ org_id: "acme", entity_type: "cat", payload: [], attempt: 0 })
        })
        assert.strictEqual(response.status, 422)
        assert.strictEqual(response.json._tag, "InvalidEnvelope")
        const fields = response.json.problems.map((p: { field: string }) => p.field).sort()
        assert.deepStrictEqual(fields, ["attempt", "entity_id", "entity_type", "idempotency_key", "org_id", "payload"])
        const problems = Object.fromEntries(
          response.json.problems.map((p: { field: string; problem: string }) => [p.field, p.problem])
        )
        assert.strictEqual(problems.org_id, "must be a UUID")
        assert.strictEqual(problems.idempotency_key, "is required")
        const notAnObject = yield* raw("/v1/jobs/probe_main", {
          method: "POST",
          headers: authorized({ "content-type": "application/json" }),
          body: "[1, 2]"
        })
        assert.strictEqual(notAnObject.status, 422)
        assert.deepStrictEqual(notAnObject.json.problems, [{ field: "(envelope)", problem: "must be a JSON object" }])
        const client = yield* ApiTest.client()
        const error = yield* Effect.flip(client.jobs.enqueue({ path: { queue: "probe_main" }, payload: { org_id: ORG } }))
        assert.strictEqual(error._tag, "InvalidEnvelope")
      }))

    it.effect("the same (org_id, idempotency_key) again: 200 with the original job and no second message", () =>
      Effect.gen(function*() {
        const client = yield* ApiTest.client()
        const body = job()
        const first = (yield* client.jobs.enqueue({ path: { queue: "probe_main" }, payload: body })) as JobAccepted
        const again = yield* client.jobs.enqueue({
          path: { queue: "probe_main" },
          payload: { ...body, payload: { action: "noop" } }
        })
        assert.instanceOf(again, JobAlreadyEnqueued)
        assert.strictEqual(again.job_id, first.job_id)
        assert.strictEqual(again.msg_id, first.msg_id)
        const response = yield* raw("/v1/jobs/probe_main", {
          method: "POST",
          headers: authorized({ "content-type": "application/json" }),
          body: JSON.stringify(body)
        })
        assert.strictEqual(response.status, 200)
        assert.isTrue(response.json.duplicate)
        assert.strictEqual(yield* messagesWithKey(body.idempotency_key), 1)
      }))

    it.effect("20 concurrent identical requests: one message, one 202, nineteen 200 with the same job", () =>
      Effect.gen(function*() {
        const body = job()
        const responses = yield* Effect.all(
          Array.from({ length: 20 }, () =>
            raw("/v1/jobs/probe_main", {
              method: "POST",
              headers: authorized({ "content-type": "application/json" }),
              body: JSON.stringify(body)
            })),
          { concurrency: "unbounded" }
        )
        const statuses = responses.map((r) => r.status).sort()
        assert.deepStrictEqual(statuses, [...Array(19).fill(200), 202])
        assert.strictEqual(new Set(responses.map((r) => r.json.job_id)).size, 1)
        assert.strictEqual(yield* messagesWithKey(body.idempotency_key), 1)
        assert.strictEqual(
          yield* count(`SELECT count(*) AS n FROM workers.job_requests WHERE idempotency_key = '${body.idempotency_key}'`),
          1
        )
      }))

    it.effect("a job_id another job has is a 409", () =>
      Effect.gen(function*() {
        const client = yield* ApiTest.client()
        const first = (yield* client.jobs.enqueue({ path: { queue: "probe_main" }, payload: job() })) as JobAccepted
        const error = yield* Effect.flip(
          client.jobs.enqueue({ path: { queue: "probe_main" }, payload: job({ job_id: first.job_id }) })
        )
        assert.strictEqual(error._tag, "Conflict")
      }))

    it.effect("a key a worker already completed (sent without the API) is a duplicate of that job", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const key = randomUUID()
        const jobId = randomUUID()
        yield* sql`INSERT INTO workers.job_ledger (org_id, idempotency_key, job_id, queue_name, msg_id, worker_id)
          VALUES (${ORG}::uuid, ${key}, ${jobId}::uuid, 'probe_main', 9999, 'elsewhere')`
        const client = yield* ApiTest.client()
        const result = yield* client.jobs.enqueue({ path: { queue: "probe_main" }, payload: job({ idempotency_key: key }) })
        assert.instanceOf(result, JobAlreadyEnqueued)
        assert.strictEqual(result.job_id, jobId)
        assert.strictEqual(yield* messagesWithKey(key), 0)
      }))

    it.effect("status follows a job: queued, in flight, completed; unknown ids are 404", () =>
      Effect.gen(function*() {
        const client = yield* ApiTest.client()
        const body = job()
        const accepted = (yield* client.jobs.enqueue({ path: { queue: "probe_main" }, payload: body })) as JobAccepted
        const queued = yield* client.jobs.status({ path: { job_id: accepted.job_id } })
        assert.strictEqual(queued.state, "queued")
        assert.strictEqual(queued.attempts, 0)
        assert.strictEqual(queued.queue, "probe_main")
        assert.strictEqual(queued.idempotency_key, body.idempotency_key)
        assert.strictEqual(queued.msg_id, accepted.msg_id)

        const pgmq = yield* PgmqQueue
        yield* pgmq.setVt(PROBE_QUEUE, accepted.msg_id as never, 60)
        const scheduled = yield* client.jobs.status({ path: { job_id: accepted.job_id } })
        assert.strictEqual(scheduled.state, "scheduled")

        yield* pgmq.setVt(PROBE_QUEUE, accepted.msg_id as never, 0)
        yield* Effect.scoped(Effect.gen(function*() {
          yield* Layer.build(probeWorker())
          yield* eventually(
            Effect.map(client.jobs.status({ path: { job_id: accepted.job_id } }), (s) => s.state === "completed")
          )
        }))
        const completed = yield* client.jobs.status({ path: { job_id: accepted.job_id } })
        assert.strictEqual(completed.attempts, 1)
        assert.match(completed.worker_id ?? "", /^probe-/)
        assert.isNotNull(completed.completed_at)
        assert.isNull(completed.last_error)

        const missing = yield* Effect.flip(client.jobs.status({ path: { job_id: randomUUID() } }))
        assert.strictEqual(missing._tag, "NotFound")
        const notAUuid = yield* raw("/v1/jobs/not-a-uuid", { headers: authorized() })
        assert.strictEqual(notAUuid.status, 400)
      }))

    it.effect("status of a job taken by a worker is in_flight, of a failed one dead_lettered with its last error", () =>
      Effect.gen(function*() {
        const client = yield* ApiTest.client()
        const pgmq = yield* PgmqQueue
        const inFlight = yield* pgmq.create(queueName("probe_inflight")).pipe(
          Effect.zipRight(client.jobs.enqueue({ path: { queue: "probe_inflight" }, payload: job() }))
        ) as Effect.Effect<JobAccepted>
        yield* pgmq.read(queueName("probe_inflight"), { visibilityTimeout: 60, quantity: 10 })
        const taken = yield* client.jobs.status({ path: { job_id: inFlight.job_id } })
        assert.strictEqual(taken.state, "in_flight")
        assert.strictEqual(taken.attempts, 1)

        const failing = (yield* client.jobs.enqueue({
          path: { queue: "probe_main" },
          payload: job({ payload: { action: "fail", kind: "permanent" } })
        })) as JobAccepted
        yield* Effect.scoped(Effect.gen(function*() {
          yield* Layer.build(probeWorker())
          yield* eventually(
            Effect.map(client.jobs.status({ path: { job_id: failing.job_id } }), (s) => s.state === "dead_lettered")
          )
        }))
        const dead = yield* client.jobs.status({ path: { job_id: failing.job_id } })
        assert.strictEqual(dead.attempts, 1)
        assert.strictEqual(dead.last_error?.reason, "permanent_failure")
        assert.strictEqual(dead.last_error?.message, "probe: permanent failure")
        assert.isNumber(dead.last_error?.dead_letter_id)

        // replayed: back on its queue as a new message, found by the id the replay recorded
        const replay = yield* client.deadLetters.replay({
          path: { id: dead.last_error!.dead_letter_id },
          payload: { replayed_by: "ops", reason: "retry" }
        })
        const again = yield* client.jobs.status({ path: { job_id: failing.job_id } })
        assert.strictEqual(again.state, "queued")
        assert.strictEqual(again.msg_id, replay.new_msg_id)
        assert.strictEqual(again.attempts, 0)
        assert.strictEqual(again.replays, 1)
        assert.strictEqual(again.last_error?.reason, "permanent_failure")

        // sent without the API: found by its job id in the queues
        const direct = envelope({ action: "record" })
        const directMsgId = yield* pgmq.send(queueName("probe_main"), direct)
        const found = yield* client.jobs.status({ path: { job_id: direct.job_id! } })
        assert.strictEqual(found.state, "queued")
        assert.strictEqual(found.msg_id, directMsgId)
        assert.strictEqual(found.queue, "probe_main")
      }))

    const batch = (body: unknown, queue = "probe_main") =>
      raw(`/v1/jobs/${queue}/batch`, {
        method: "POST",
        headers: authorized({ "content-type": "application/json" }),
        body: JSON.stringify(body)
      })

    it.effect("batch: created, duplicate (in the batch, of an earlier job, of a completed key), invalid and conflict, each at its index", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const client = yield* ApiTest.client()
        const earlier = (yield* client.jobs.enqueue({ path: { queue: "probe_main" }, payload: job() })) as JobAccepted
        const earlierKey = (yield* sql<{ key: string }>`
          SELECT idempotency_key AS key FROM workers.job_requests WHERE job_id = ${earlier.job_id}::uuid`)[0]!.key
        const completedKey = randomUUID()
        const completedJob = randomUUID()
        yield* sql`INSERT INTO workers.job_ledger (org_id, idempotency_key, job_id, queue_name, msg_id, worker_id)
          VALUES (${ORG}::uuid, ${completedKey}, ${completedJob}::uuid, 'probe_main', 9998, 'elsewhere')`
        const fresh = [job(), job(), job()]
        const body = {
          jobs: [
            fresh[0],
            { ...job(), org_id: "not-a-uuid", entity_type: "debtor" },
            fresh[1],
            { ...fresh[0], job_id: randomUUID() },
            job({ idempotency_key: earlierKey }),
            job({ idempotency_key: completedKey }),
            job({ job_id: earlier.job_id }),
            fresh[2]
          ]
        }
        const response = yield* batch(body)
        assert.strictEqual(response.status, 200)
        const results = response.json.results as Array<Record<string, unknown>>
        assert.deepStrictEqual(results.map((r) => [r.index, r.status]), [
          [0, "created"],
          [1, "invalid"],
          [2, "created"],
          [3, "duplicate"],
          [4, "duplicate"],
          [5, "duplicate"],
          [6, "conflict"],
          [7, "created"]
        ])
        assert.deepStrictEqual(
          [response.json.created, response.json.duplicates, response.json.invalid, response.json.conflicts],
          [3, 3, 1, 1]
        )
        assert.deepStrictEqual((results[1]!.problems as Array<{ field: string }>).map((p) => p.field).sort(), ["entity_type", "org_id"])
        // the duplicate within the batch names the job the batch created for that key
        assert.strictEqual(results[3]!.job_id, results[0]!.job_id)
        assert.strictEqual(results[3]!.msg_id, results[0]!.msg_id)
        assert.strictEqual(results[4]!.job_id, earlier.job_id)
        assert.strictEqual(results[5]!.job_id, completedJob)
        assert.include(String(results[6]!.message), earlier.job_id)
        // exactly one message per created job, in input order, and the keys recorded
        for (const item of [fresh[0]!, fresh[1]!, fresh[2]!]) assert.strictEqual(yield* messagesWithKey(item.idempotency_key), 1)
        const ids = [results[0]!, results[2]!, results[7]!].map((r) => Number(r.msg_id))
        assert.deepStrictEqual([...ids].sort((a, b) => a - b), ids)
        assert.strictEqual(yield* messagesWithKey(completedKey), 0)
        // the same batch again creates nothing
        const again = yield* batch(body)
        assert.deepStrictEqual([again.json.created, again.json.duplicates], [0, 6])
        for (const item of fresh) assert.strictEqual(yield* messagesWithKey(item.idempotency_key), 1)
      }))

    it.effect("batch: concurrent batches sharing keys send each key once", () =>
      Effect.gen(function*() {
        const shared = Array.from({ length: 50 }, () => job())
        const bodies = Array.from({ length: 6 }, () => ({ jobs: [...shared].sort(() => Math.random() - 0.5).concat([job()]) }))
        const responses = yield* Effect.all(bodies.map((body) => batch(body)), { concurrency: "unbounded" })
        assert.deepStrictEqual(responses.map((r) => r.status), Array(6).fill(200))
        const created = responses.reduce((sum, r) => sum + (r.json.created as number), 0)
        assert.strictEqual(created, 50 + 6)
        for (const item of shared) assert.strictEqual(yield* messagesWithKey(item.idempotency_key), 1)
      }))

    it.effect("batch: a body without jobs, an empty list, more than 1,000 envelopes and an unknown queue are 4xx saying why", () =>
      Effect.gen(function*() {
        const missing = yield* batch([job()])
        assert.strictEqual(missing.status, 400)
        const empty = yield* batch({ jobs: [] })
        assert.strictEqual(empty.status, 400)
        assert.include(empty.text, "at least one envelope")
        const tooMany = yield* batch({ jobs: Array.from({ length: 1_001 }, () => ({})) })
        assert.strictEqual(tooMany.status, 400)
        assert.include(tooMany.text, "at most 1000 envelopes")
        const unknown = yield* batch({ jobs: [job()] }, "no_such_queue")
        assert.strictEqual(unknown.status, 404)
      }))
  })

  layer(ApiTest.layer(), { excludeTestServices: true })("refusals at the door", (it) => {
    /** The deployment guide's first envelope, verbatim: valid, but its payload is not one the score worker takes. */
    const guideExample = () => ({
      job_id: randomUUID(),
      trace_id: "660e8400-e29b-41d4-a716-446655440001",
      org_id: ORG,
      idempotency_key: randomUUID(),
      entity_type: "plaintiff",
      entity_id: "12345",
      attempt: 1,
      created_at: "2026-01-06T12:00:00Z",
      payload: { action: "score_collectability", priority: "high" }
    })
    const post = (path: string, body: string, contentType?: string) =>
      raw(path, {
        method: "POST",
        headers: authorized(contentType === undefined ? {} : { "content-type": contentType }),
        body: new TextEncoder().encode(body)
      })
    const scoreMessages = count(`SELECT count(*) AS n FROM pgmq.q_score_collectability`)

    it.effect("a payload the queue's service would refuse is a 422 naming each problem, and nothing is sent", () =>
      Effect.gen(function*() {
        const refused = yield* post("/v1/jobs/score_collectability", JSON.stringify(guideExample()), "application/json")
        assert.strictEqual(refused.status, 422)
        assert.deepStrictEqual(refused.json, {
          _tag: "InvalidPayload",
          problems: [{ field: "payload.action", problem: `Expected "compute_collectability", actual "score_collectability"` }]
        })
        assert.strictEqual(yield* scoreMessages, 0)
        const fixed = { ...guideExample(), payload: { action: "compute_collectability" } }
        const accepted = yield* post("/v1/jobs/score_collectability", JSON.stringify(fixed), "application/json")
        assert.strictEqual(accepted.status, 202)
        assert.strictEqual(yield* scoreMessages, 1)
      }))

    it.effect("in a batch, such an envelope is invalid at its index with its problems; the others are sent", () =>
      Effect.gen(function*() {
        const before = yield* scoreMessages
        const jobs = [guideExample(), { ...guideExample(), payload: { action: "compute_collectability" } }]
        const answer = yield* post("/v1/jobs/score_collectability/batch", JSON.stringify({ jobs }), "application/json")
        assert.strictEqual(answer.status, 200)
        assert.deepStrictEqual([answer.json.created, answer.json.invalid], [1, 1])
        assert.deepStrictEqual(answer.json.results[0], {
          index: 0,
          status: "invalid",
          problems: [{ field: "payload.action", problem: `Expected "compute_collectability", actual "score_collectability"` }]
        })
        assert.strictEqual(yield* scoreMessages, before + 1)
      }))

    it.effect("a POST body that is not sent as JSON is a 415 saying so, whatever the endpoint", () =>
      Effect.gen(function*() {
        const body = JSON.stringify(job())
        for (const [path, type] of [
          ["/v1/jobs/probe_main", "text/plain"],
          ["/v1/jobs/probe_main", undefined],
          ["/v1/jobs/probe_main/batch", "application/x-www-form-urlencoded"],
          ["/v1/dead-letters/1/replay", "text/csv"]
        ] as const) {
          const answer = yield* post(path, body, type)
          assert.deepStrictEqual([path, answer.status, answer.json._tag], [path, 415, "UnsupportedMediaType"])
          assert.include(answer.json.message, "application/json")
        }
        const withCharset = yield* post("/v1/jobs/probe_main", body, "application/json; charset=utf-8")
        assert.strictEqual(withCharset.status, 202)
        const unknownRoute = yield* post("/v1/nowhere", body, "text/plain")
        assert.strictEqual(unknownRoute.status, 404)
      }))

    it.effect("an import job whose file_path climbs out of its place is a 422 before anything reads it", () =>
      Effect.gen(function*() {
        const importJob = (file_path: string) =>
          JSON.stringify(job({ entity_type: "batch", payload: { file_path, source: "upload" } }))
        for (const [path, problem] of [
          ["uploads/../../etc/passwd", "must not hold a . or .. segment"],
          ["../secrets.csv", "must not hold a . or .. segment"],
          ["/etc/passwd", "must be relative to the bucket (no leading /)"],
          ["uploads\\..\\x.csv", "must not hold a backslash or a control character"],
          ["uploads/x.csv\u0007.txt", "must not hold a backslash or a control character"],
          ["uploads/x.csv\u0000.txt", "must not contain the NUL character (\\u0000): Postgres cannot store it"],
          ["uploads//x.csv", "must not hold an empty segment (//)"]
        ] as const) {
          const answer = yield* post("/v1/jobs/ingest_raw", importJob(path), "application/json")
          assert.deepStrictEqual([path, answer.status, answer.json.problems], [path, 422, [{ field: "payload.file_path", problem }]])
        }
        assert.strictEqual(yield* count(`SELECT count(*) AS n FROM pgmq.q_ingest_raw`), 0)
        const fine = yield* post("/v1/jobs/ingest_raw", importJob(`uploads/${"0".repeat(64)}.csv`), "application/json")
        assert.strictEqual(fine.status, 202)
      }))

    it.effect("names, ids and filters with SQL in them are only ever values: 404, 400 or nothing found", () =>
      Effect.gen(function*() {
        const queuesBefore = yield* count(`SELECT count(*) AS n FROM pgmq.list_queues()`)
        const injected = encodeURIComponent("probe_main'; DROP TABLE workers.job_requests; --")
        const queue = yield* raw(`/v1/queues/${injected}`, { headers: authorized() })
        assert.deepStrictEqual([queue.status, queue.json._tag], [404, "NotFound"])
        const enqueue = yield* post(`/v1/jobs/${injected}`, JSON.stringify(job()), "application/json")
        assert.strictEqual(enqueue.status, 404)
        const status = yield* raw(`/v1/jobs/${encodeURIComponent("1' OR '1'='1")}`, { headers: authorized() })
        assert.strictEqual(status.status, 400)
        const filter = encodeURIComponent("x' OR 1=1 --")
        const deadLetters = yield* raw(`/v1/dead-letters?source_queue=${filter}&reason=${filter}`, { headers: authorized() })
        assert.deepStrictEqual([deadLetters.status, deadLetters.json.dead_letters], [200, []])
        const history = yield* raw(`/v1/queues/history?hours=${encodeURIComponent("1; SELECT pg_sleep(10)")}`, { headers: authorized() })
        assert.strictEqual(history.status, 400)
        assert.strictEqual(yield* count(`SELECT count(*) AS n FROM pgmq.list_queues()`), queuesBefore)
        assert.strictEqual(yield* count(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'job_requests'`), 1)
      }))

    it.effect("a NUL character, which Postgres cannot store, is a 422 naming its field in a job and a 400 elsewhere", () =>
      Effect.gen(function*() {
        const withNul = JSON.stringify(job({ idempotency_key: "a\u0000b", payload: { action: "record", note: { "k\u0000": 1 } } }))
        const answer = yield* post("/v1/jobs/probe_main", withNul, "application/json")
        assert.strictEqual(answer.status, 422)
        assert.deepStrictEqual(answer.json.problems.map((p: { field: string }) => p.field), ["idempotency_key", "payload.note.k\u0000"])
        const inBatch = yield* post("/v1/jobs/probe_main/batch", `{"jobs":[${withNul}]}`, "application/json")
        assert.deepStrictEqual([inBatch.status, inBatch.json.invalid], [200, 1])
        const { id } = yield* deadLetter()
        const replay = yield* post(`/v1/dead-letters/${id}/replay`, JSON.stringify({ replayed_by: "ops\u0000", reason: "x" }), "application/json")
        assert.deepStrictEqual([replay.status, replay.json._tag], [400, "MalformedBody"])
        assert.include(replay.json.message, "NUL")
      }))

    it.effect("headers over 16 KB are refused by the server with 431, the key or not", () =>
      Effect.gen(function*() {
        const oversized = yield* raw("/v1/queues", { headers: authorized({ "x-padding": "a".repeat(32 * 1024) }) })
        assert.strictEqual(oversized.status, 431)
        const after = yield* raw("/v1/queues", { headers: authorized() })
        assert.strictEqual(after.status, 200)
      }))

    it.effect("a body nested deeper than 64 levels is a 400 saying so, not a 500", () =>
      Effect.gen(function*() {
        const deep = (levels: number) => `${"{\"a\":".repeat(levels)}1${"}".repeat(levels)}`
        const nested = (levels: number) => JSON.stringify(job()).replace(`{"action":"record"}`, deep(levels))
        // 20 KB of nesting inside a payload: JSON.stringify overflows its stack long before.
        const refused = yield* post("/v1/jobs/probe_main", nested(4000), "application/json")
        assert.strictEqual(refused.status, 400)
        assert.include(refused.json.message, "deeper than 64 levels")
        const arrays = yield* post("/v1/jobs/probe_main/batch", `{"jobs":[${"[".repeat(5000)}${"]".repeat(5000)}]}`, "application/json")
        assert.strictEqual(arrays.status, 400)
        // The envelope and its payload are two levels: 62 more make 64, the most there may be.
        const extra = (levels: number) => JSON.stringify(job()).replace(`{"action":"record"}`, `{"action":"record","extra":${deep(levels)}}`)
        assert.strictEqual((yield* post("/v1/jobs/probe_main", extra(62), "application/json")).status, 202)
        assert.strictEqual((yield* post("/v1/jobs/probe_main", extra(63), "application/json")).status, 400)
      }))
  })
})
