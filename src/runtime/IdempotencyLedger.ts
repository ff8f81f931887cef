import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import type { JobEnvelope } from "../envelope/index.js"
import { type MessageId, PgmqQueue } from "../queue/PgmqQueue.js"
import type { QueueName } from "../queue/QueueName.js"
import { WorkerIdentity } from "./WorkerIdentity.js"

export interface LedgerEntry {
  readonly envelope: JobEnvelope
  readonly queue: string
  readonly msgId: MessageId
}

export type CompleteOutcome = "completed" | "duplicate" | "lease_lost"

export const ledgerKey = (orgId: string, idempotencyKey: string) => `${orgId}\u0000${idempotencyKey}`
const keyOf = (envelope: JobEnvelope) => ledgerKey(envelope.org_id, envelope.idempotency_key)

const settleStatements = new Map<QueueName, string>()

const settleStatement = (queue: QueueName) => {
  let text = settleStatements.get(queue)
  if (text === undefined) {
    text = `WITH input AS (
        SELECT * FROM unnest($1::bigint[], $2::integer[], $3::uuid[]) AS i(msg_id, read_ct, job_id)
      ), moved AS (
        DELETE FROM pgmq."q_${queue}" q USING input i
        WHERE q.msg_id = i.msg_id AND q.read_ct = i.read_ct
        RETURNING q.msg_id, q.read_ct, q.enqueued_at, q.vt, q.message
      ), archived AS (
        INSERT INTO pgmq."a_${queue}" (msg_id, read_ct, enqueued_at, vt, message)
        SELECT msg_id, read_ct, enqueued_at, vt, message FROM moved
      ), recorded AS (
        INSERT INTO workers.job_ledger AS l (org_id, idempotency_key, job_id, queue_name, msg_id, worker_id)
        -- the key from the message itself (what the worker decoded); only the job id may be a default it filled
        SELECT (m.message->>'org_id')::uuid, m.message->>'idempotency_key', i.job_id, $4::text, i.msg_id, $5::text
        FROM input i JOIN moved m USING (msg_id)
        ON CONFLICT (org_id, idempotency_key) DO NOTHING
        RETURNING l.msg_id
      ), forgotten AS (
        -- only a redelivered message can have a record
        DELETE FROM workers.deliveries d USING moved m
        WHERE m.read_ct > 1 AND d.queue_name = $4::text AND d.msg_id = m.msg_id
      )
      SELECT i.msg_id, m.msg_id IS NOT NULL AS fenced, r.msg_id IS NOT NULL AS fresh
      FROM input i LEFT JOIN moved m USING (msg_id) LEFT JOIN recorded r USING (msg_id)`
    settleStatements.set(queue, text)
  }
  return text
}

/**
 * `(org_id, idempotency_key)` → completed. A key is recorded in the transaction that
 * acknowledges its job, so "completed" and "acknowledged" can never disagree.
 */
export class IdempotencyLedger extends Effect.Service<IdempotencyLedger>()("runtime/IdempotencyLedger", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const identity = yield* WorkerIdentity

    /** The keys among `envelopes` that are already completed. */
    const completed = Effect.fn("IdempotencyLedger.completed")(function*(envelopes: ReadonlyArray<JobEnvelope>) {
      if (envelopes.length === 0) return new Set<string>()
      const rows = yield* sql<{ readonly org_id: string; readonly idempotency_key: string }>`
        SELECT l.org_id, l.idempotency_key
        FROM workers.job_ledger l
        JOIN unnest(${envelopes.map((e) => e.org_id)}::uuid[], ${envelopes.map((e) => e.idempotency_key)}::text[])
          AS k(org_id, idempotency_key) USING (org_id, idempotency_key)`
      return new Set(rows.map((row) => ledgerKey(row.org_id, row.idempotency_key)))
    })

    /**
     * Records completion; returns the keys this call recorded. A key completed before (or by an
     * earlier entry of the same call) is not returned: that job is a duplicate. A concurrent
     * transaction recording the same key makes this one wait for its outcome.
     */
    const complete = Effect.fn("IdempotencyLedger.complete")(function*(entries: ReadonlyArray<LedgerEntry>) {
      if (entries.length === 0) return new Set<string>()
      const rows = yield* sql<{ readonly org_id: string; readonly idempotency_key: string }>`
        INSERT INTO workers.job_ledger (org_id, idempotency_key, job_id, queue_name, msg_id, worker_id)
        SELECT * FROM unnest(
          ${entries.map((e) => e.envelope.org_id)}::uuid[],
          ${entries.map((e) => e.envelope.idempotency_key)}::text[],
          ${entries.map((e) => e.envelope.job_id)}::uuid[],
          ${entries.map((e) => e.queue)}::text[],
          ${entries.map((e) => e.msgId)}::bigint[],
          ${entries.map(() => identity.workerId)}::text[]
        )
        ON CONFLICT (org_id, idempotency_key) DO NOTHING
        RETURNING org_id, idempotency_key`
      return new Set(rows.map((row) => ledgerKey(row.org_id, row.idempotency_key)))
    })

    /**
     * For jobs with no writes of their own: fence, archive and record in one statement (one round
     * trip, one commit), text fixed per queue. The DELETE is the fence: it takes only a message
     * whose delivery count is still the job's, and waits for a transaction that holds the row (a
     * lease extension) before it decides. What `workers.complete_jobs` (migration 0010) does, but
     * without its SQL being built and planned on every call. Returns the outcome per message.
     */
    const completeAndArchive = Effect.fnUntraced(
      function*(queue: QueueName, jobs: ReadonlyArray<LedgerEntry & { readonly readCt: number }>) {
        const rows = yield* sql.unsafe<{ readonly msg_id: string; readonly fenced: boolean; readonly fresh: boolean }>(
          settleStatement(queue),
          [
            jobs.map((j) => j.msgId),
            jobs.map((j) => j.readCt),
            jobs.map((j) => j.envelope.job_id),
            queue,
            identity.workerId
          ]
        )
        const outcomes = new Map<MessageId, CompleteOutcome>()
        for (const row of rows) {
          outcomes.set(Number(row.msg_id) as MessageId, !row.fenced ? "lease_lost" : row.fresh ? "completed" : "duplicate")
        }
        return outcomes
      }
    )

    return { completed, complete, completeAndArchive, keyOf } as const
  })
}) {
  /** The ledger in memory, over the (memory) PgmqQueue: for unit tests of the runtime. */
  static readonly layerMemory: Layer.Layer<IdempotencyLedger, never, PgmqQueue> = Layer.effect(
    IdempotencyLedger,
    Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const done = new Set<string>()
      const complete = (entries: ReadonlyArray<LedgerEntry>) =>
        Effect.sync(() => {
          const fresh = new Set<string>()
          for (const entry of entries) {
            const key = keyOf(entry.envelope)
            if (!done.has(key)) fresh.add(key)
            done.add(key)
          }
          return fresh
        })
      return IdempotencyLedger.make({
        keyOf,
        complete,
        completed: (envelopes) => Effect.sync(() => new Set(envelopes.map(keyOf).filter((key) => done.has(key)))),
        completeAndArchive: (queue, jobs) =>
          Effect.gen(function*() {
            const locked = yield* pgmq.lockDeliveries(queue, jobs.map((j) => j.msgId))
            const fenced = jobs.filter((j) => locked.get(j.msgId) === j.readCt)
            const fresh = yield* complete(fenced)
            yield* pgmq.archiveBatch(queue, fenced.map((j) => j.msgId))
            return new Map(jobs.map((j): [MessageId, CompleteOutcome] => [
              j.msgId,
              !fenced.includes(j) ? "lease_lost" : fresh.has(keyOf(j.envelope)) ? "completed" : "duplicate"
            ]))
          })
      })
    })
  )
}
