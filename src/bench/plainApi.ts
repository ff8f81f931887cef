import { randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import pg from "pg"

/**
 * The baseline of `npm run bench:api`: the least an enqueue endpoint can do, in plain Node —
 * `node:http`, a key check, `JSON.parse`, and the API's enqueue statement (send the message and
 * record its key, skipped when the key is known) on a `pg` pool of 10. No validation, no
 * framework. With BENCH_PLAIN_MODE=coalesced, requests that arrive while statements run are sent
 * together by one statement (`pgmq.send_batch`), at most two statements at a time.
 *
 * Run by src/bench/api.ts as a child process: SUPABASE_DB_URL, PORT, DRAGONFLY_API_KEY.
 */

const pool = new pg.Pool({ connectionString: process.env["SUPABASE_DB_URL"], max: 10 })
const apiKey = process.env["DRAGONFLY_API_KEY"]
const coalesced = process.env["BENCH_PLAIN_MODE"] === "coalesced"

interface Job {
  readonly queue: string
  readonly body: string
  readonly orgId: string
  readonly key: string
  readonly jobId: string
  readonly traceId: string
}

const SINGLE = `
  WITH sent AS (
    SELECT pgmq.send($1::text, $2::jsonb) AS msg_id
    WHERE NOT EXISTS (SELECT 1 FROM workers.job_ledger WHERE org_id = $3::uuid AND idempotency_key = $4)
  )
  INSERT INTO workers.job_requests (org_id, idempotency_key, job_id, queue_name, msg_id, trace_id)
  SELECT $3::uuid, $4, $5::uuid, $1, msg_id, $6::uuid FROM sent
  RETURNING msg_id::text`

const MANY = `
  WITH input AS (
    SELECT * FROM unnest($2::jsonb[], $3::uuid[], $4::text[], $5::uuid[], $6::uuid[]) WITH ORDINALITY
      AS i(body, org_id, idempotency_key, job_id, trace_id, n)
  ), fresh AS (
    SELECT i.*, row_number() OVER (ORDER BY i.n) AS k FROM input i
    WHERE NOT EXISTS (SELECT 1 FROM workers.job_ledger l WHERE l.org_id = i.org_id AND l.idempotency_key = i.idempotency_key)
  ), sent AS MATERIALIZED (
    SELECT s.msg_id, s.k FROM pgmq.send_batch($1::text, (SELECT array_agg(body ORDER BY k) FROM fresh), 0)
      WITH ORDINALITY AS s(msg_id, k)
  ), recorded AS (
    INSERT INTO workers.job_requests (org_id, idempotency_key, job_id, queue_name, msg_id, trace_id)
    SELECT f.org_id, f.idempotency_key, f.job_id, $1, s.msg_id, f.trace_id FROM fresh f JOIN sent s USING (k)
    RETURNING msg_id
  )
  SELECT f.n::int AS n, s.msg_id::text FROM fresh f JOIN sent s USING (k)`

const single = (job: Job) =>
  pool.query<{ msg_id: string }>(SINGLE, [job.queue, job.body, job.orgId, job.key, job.jobId, job.traceId])
    .then((result) => result.rows[0]?.msg_id)

const waiting: Array<{ readonly job: Job; readonly done: (msgId: string | undefined, error?: unknown) => void }> = []
let running = 0

const flush = (): void => {
  if (running >= 2 || waiting.length === 0) return
  const batch = waiting.splice(0, 1_000)
  running++
  const jobs = batch.map((w) => w.job)
  pool.query<{ n: number; msg_id: string }>(MANY, [
    jobs[0]!.queue,
    jobs.map((j) => j.body),
    jobs.map((j) => j.orgId),
    jobs.map((j) => j.key),
    jobs.map((j) => j.jobId),
    jobs.map((j) => j.traceId)
  ]).then(
    (result) => {
      const ids = new Map(result.rows.map((row) => [row.n, row.msg_id]))
      batch.forEach((w, i) => w.done(ids.get(i + 1)))
    },
    (error) => batch.forEach((w) => w.done(undefined, error))
  ).finally(() => {
    running--
    flush()
  })
}

// One queue per run, so one statement never mixes queues.
const enqueue = (job: Job): Promise<string | undefined> =>
  coalesced
    ? new Promise((resolve, reject) => {
      waiting.push({ job, done: (msgId, error) => (error === undefined ? resolve(msgId) : reject(error)) })
      flush()
    })
    : single(job)

const answer = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { "content-type": "application/json" })
  response.end(JSON.stringify(body))
}

const handle = (request: IncomingMessage, response: ServerResponse) => {
  const match = /^\/v1\/jobs\/([a-z0-9_]+)$/.exec(request.url ?? "")
  if (request.method !== "POST" || match === null) return answer(response, 404, { error: "no route" })
  if (request.headers["x-api-key"] !== apiKey) return answer(response, 401, { error: "unauthorized" })
  const chunks: Array<Buffer> = []
  request.on("data", (chunk: Buffer) => chunks.push(chunk))
  request.on("end", () => {
    let envelope: Record<string, unknown>
    try {
      envelope = JSON.parse(Buffer.concat(chunks).toString("utf8"))
    } catch {
      return answer(response, 400, { error: "not JSON" })
    }
    const jobId = typeof envelope["job_id"] === "string" ? envelope["job_id"] : randomUUID()
    const traceId = typeof envelope["trace_id"] === "string" ? envelope["trace_id"] : randomUUID()
    const body = JSON.stringify({ ...envelope, job_id: jobId, trace_id: traceId })
    enqueue({ queue: match[1]!, body, orgId: String(envelope["org_id"]), key: String(envelope["idempotency_key"]), jobId, traceId })
      .then(
        (msgId) => answer(response, 202, { job_id: jobId, msg_id: Number(msgId), duplicate: msgId === undefined }),
        (error) => answer(response, 500, { error: String(error) })
      )
  })
}

createServer(handle).listen(Number(process.env["PORT"]), "127.0.0.1")
