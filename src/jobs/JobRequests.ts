import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { Data, Effect, Option, Schema } from "effect"
import { StoredRecord } from "../deadletter/DeadLetters.js"
import * as Envelope from "../envelope/index.js"
import { DEAD_LETTER_QUEUE } from "../queue/catalog.js"
import { type MessageId, notifyCall, PgmqQueue, type QueueMessage, sendCall } from "../queue/PgmqQueue.js"
import { QueueDirectory } from "../queue/QueueDirectory.js"
import type { QueueName } from "../queue/QueueName.js"

/** The envelope names a job_id that another (org_id, idempotency_key) already has. */
export class JobIdTaken extends Data.TaggedError("JobIdTaken")<{ readonly jobId: string }> {
  override get message() {
    return `job_id ${this.jobId} belongs to another job`
  }
}

export type EnqueueResult =
  | {
    readonly _tag: "Enqueued"
    readonly jobId: string
    readonly msgId: number
    readonly queue: QueueName
    readonly traceId: string
  }
  | {
    readonly _tag: "Duplicate"
    readonly jobId: string
    readonly msgId: number
    readonly queue: string
    readonly enqueuedAt: Date
  }

export const JobStates = ["scheduled", "queued", "in_flight", "completed", "dead_lettered", "archived"] as const
export type JobState = (typeof JobStates)[number]

export interface JobError {
  readonly reason: string
  readonly tag: string
  readonly message: string
  readonly details?: unknown
  readonly at: Date
  readonly deadLetterId: number
}

export interface JobStatus {
  readonly jobId: string
  readonly state: JobState
  readonly queue: string | null
  readonly msgId: number | null
  readonly orgId: string | null
  readonly idempotencyKey: string | null
  readonly attempts: number
  readonly enqueuedAt: Date | null
  readonly visibleAt: Date | null
  readonly completedAt: Date | null
  readonly workerId: string | null
  readonly lastError: JobError | null
  readonly replays: number
}

const UNIQUE_VIOLATION = "23505"
const KEY_CONSTRAINT = "job_requests_pkey"
const JOB_ID_CONSTRAINT = "job_requests_job_id_key"

/** The constraint a statement violated, when it failed on a unique one. */
const uniqueViolation = (error: SqlError) => {
  const cause = error.cause as { readonly code?: string; readonly constraint?: string } | undefined
  return cause?.code === UNIQUE_VIOLATION ? cause.constraint : undefined
}

/** Postgres broke a deadlock by failing this statement: nothing of it was kept, it can run again. */
const isDeadlock = (error: SqlError) => (error.cause as { readonly code?: string } | undefined)?.code === "40P01"

const decodeRecord = Schema.decodeUnknownOption(StoredRecord)

/** One envelope's outcome in `enqueueMany`, in input order. */
export type BatchItemResult = EnqueueResult | JobIdTaken

/** Rounds of `enqueueMany`'s statement when concurrent requests keep taking the same keys first. */
const BATCH_ATTEMPTS = 5

const requestKey = (orgId: string, idempotencyKey: string) => `${orgId}\u0000${idempotencyKey}`
const batchKey = (envelope: Envelope.JobEnvelope) => requestKey(envelope.org_id, envelope.idempotency_key)

/** A key's existing job (all null when only its job_id is taken). */
interface ExistingRow {
  readonly org_id: string
  readonly idempotency_key: string
  readonly job_id: string | null
  readonly queue_name: string | null
  readonly msg_id: string | null
  readonly at: Date | null
  readonly taken_job_id: string | null
}

interface RequestRow {
  readonly org_id: string
  readonly idempotency_key: string
  readonly queue_name: string
  readonly msg_id: string
  readonly enqueued_at: Date
}

interface LedgerRow extends RequestRow {
  readonly worker_id: string
  readonly completed_at: Date
}

/**
 * Jobs sent through the API: idempotent enqueue (one message per (org_id, idempotency_key), sent
 * in the transaction that records the key) and where a job is now.
 */
export class JobRequests extends Effect.Service<JobRequests>()("jobs/JobRequests", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pgmq = yield* PgmqQueue
    const directory = yield* QueueDirectory

    /**
     * What the envelopes' keys already name, one round trip for all: the job a key was enqueued
     * through the API as, or completed as by a worker (`Duplicate`); for a key not seen before whose
     * job_id another key has, `JobIdTaken`. Keys absent here are new.
     */
    const existingJobs = (envelopes: ReadonlyArray<Envelope.JobEnvelope>) =>
      Effect.map(
        sql<ExistingRow>`
          WITH input AS (
            SELECT * FROM unnest(${envelopes.map((e) => e.org_id)}::uuid[], ${envelopes.map((e) => e.idempotency_key)}::text[],
              ${envelopes.map((e) => e.job_id)}::uuid[]) AS i(org_id, idempotency_key, job_id)
          )
          SELECT i.org_id::text, i.idempotency_key, k.job_id::text, k.queue_name, k.msg_id::text, k.at, t.job_id::text AS taken_job_id
          FROM input i
          LEFT JOIN LATERAL (
            SELECT r.job_id, r.queue_name, r.msg_id, r.enqueued_at AS at FROM workers.job_requests r
            WHERE r.org_id = i.org_id AND r.idempotency_key = i.idempotency_key
            UNION ALL
            SELECT l.job_id, l.queue_name, l.msg_id, l.completed_at AS at FROM workers.job_ledger l
            WHERE l.org_id = i.org_id AND l.idempotency_key = i.idempotency_key
            LIMIT 1
          ) k ON true
          LEFT JOIN workers.job_requests t ON t.job_id = i.job_id AND k.job_id IS NULL
          WHERE k.job_id IS NOT NULL OR t.job_id IS NOT NULL`,
        (rows) =>
          new Map(rows.map((row): [string, BatchItemResult] => [
            requestKey(row.org_id, row.idempotency_key),
            row.job_id === null
              ? new JobIdTaken({ jobId: row.taken_job_id! })
              : { _tag: "Duplicate", jobId: row.job_id, msgId: Number(row.msg_id), queue: row.queue_name!, enqueuedAt: row.at! }
          ]))
      )

    /**
     * Sends the envelope unless its (org_id, idempotency_key) was enqueued or completed before, in
     * which case it answers the original job. One statement sends and records the key, so both
     * commit or neither (in a savepoint when the caller has a transaction). Of concurrent
     * identical requests one records the key; the others wait for its commit, fail on the key,
     * and answer its job, their sends rolled back.
     */
    const enqueue = Effect.fn("JobRequests.enqueue")(
      function*(queue: QueueName, envelope: Envelope.JobEnvelope, options?: { readonly delaySeconds?: number }) {
        yield* Effect.annotateCurrentSpan({ queue, jobId: envelope.job_id })
        const { idempotency_key: key, org_id: orgId } = envelope
        const message = yield* Envelope.TraceLink.withSpanId(envelope, Envelope.encode(envelope))
        const sendAndRecord = sql<{ readonly msg_id: string }>`
          WITH sent AS (
            SELECT ${sendCall(sql, queue, message, options)} AS msg_id
            WHERE NOT EXISTS (
              SELECT 1 FROM workers.job_ledger WHERE org_id = ${orgId}::uuid AND idempotency_key = ${key})
          )
          INSERT INTO workers.job_requests (org_id, idempotency_key, job_id, queue_name, msg_id, trace_id)
          SELECT ${orgId}::uuid, ${key}, ${envelope.job_id}::uuid, ${queue}, msg_id, ${envelope.trace_id}::uuid
          FROM sent
          RETURNING msg_id::text`
        const inTransaction = Option.isSome(yield* Effect.serviceOption(SqlClient.TransactionConnection))
        const recorded = yield* (inTransaction ? sql.withTransaction(sendAndRecord) : sendAndRecord).pipe(
          Effect.catchTag("SqlError", (error) => {
            const violated = uniqueViolation(error)
            return violated === KEY_CONSTRAINT
              ? Effect.succeed([])
              : violated === JOB_ID_CONSTRAINT
              ? Effect.fail(new JobIdTaken({ jobId: envelope.job_id }))
              : Effect.die(error)
          })
        )
        // Nothing recorded: the key was enqueued before, or a worker completed it without the API.
        if (recorded[0] === undefined) {
          const known = (yield* Effect.orDie(existingJobs([envelope]))).get(batchKey(envelope))
          return known?._tag === "Duplicate" ? known : yield* Effect.dieMessage(`idempotency key ${key} vanished`)
        }
        return {
          _tag: "Enqueued",
          jobId: envelope.job_id,
          msgId: Number(recorded[0].msg_id),
          queue,
          traceId: envelope.trace_id
        } satisfies EnqueueResult
      }
    )

    /**
     * `enqueue` for many envelopes at once: the new ones are sent and their keys recorded by one
     * statement (all of them, or none: a key a concurrent request recorded first makes the
     * statement fail on the key, or a deadlock fails it, and it runs again, that key now a
     * duplicate). An envelope whose key came earlier in the same batch, or was enqueued or completed before, is a duplicate of
     * that job; one whose job_id another key has is `JobIdTaken`. Results are in input order.
     */
    const enqueueMany = Effect.fn("JobRequests.enqueueMany")(
      function*(queue: QueueName, envelopes: ReadonlyArray<Envelope.JobEnvelope>) {
        yield* Effect.annotateCurrentSpan({ queue, envelopes: envelopes.length })
        const first = new Map<string, number>()
        envelopes.forEach((envelope, i) => {
          if (!first.has(batchKey(envelope))) first.set(batchKey(envelope), i)
        })
        const results = new Map<string, BatchItemResult>()
        const sentAt = new Map<number, Date>()
        // Two keys of one batch naming the same job_id: the later one cannot have it.
        const jobIds = new Set<string>()
        const candidates = [...first.values()].map((i) => envelopes[i]!).filter((envelope) => {
          if (!jobIds.has(envelope.job_id)) return jobIds.add(envelope.job_id)
          results.set(batchKey(envelope), new JobIdTaken({ jobId: envelope.job_id }))
          return false
        })
        for (let round = 1; ; round++) {
          const outcome = yield* sendMany(queue, candidates.filter((e) => !results.has(batchKey(e))), sentAt).pipe(
            Effect.map((sent) => ({ sent })),
            Effect.catchTag("SqlError", (error) => {
              const violated = uniqueViolation(error)
              return (violated === KEY_CONSTRAINT || violated === JOB_ID_CONSTRAINT || isDeadlock(error)) &&
                  round < BATCH_ATTEMPTS
                ? Effect.succeed({ retry: true as const })
                : Effect.die(error)
            })
          )
          if ("retry" in outcome) continue
          for (const [key, result] of outcome.sent) results.set(key, result)
          break
        }
        return envelopes.map((envelope, i): BatchItemResult => {
          const result = results.get(batchKey(envelope))!
          // A later envelope with the key of an earlier one is a duplicate of the job that one created.
          return first.get(batchKey(envelope)) !== i && result._tag === "Enqueued"
            ? { _tag: "Duplicate", jobId: result.jobId, msgId: result.msgId, queue: result.queue, enqueuedAt: sentAt.get(result.msgId)! }
            : result
        })
      }
    )

    /**
     * One round: envelopes whose job_id is taken are refused, those whose key exists answer the
     * existing job, the rest are sent in one statement with their keys recorded.
     */
    const sendMany = (queue: QueueName, envelopes: ReadonlyArray<Envelope.JobEnvelope>, sentAt: Map<number, Date>) =>
      Effect.gen(function*() {
        if (envelopes.length === 0) return new Map<string, BatchItemResult>()
        const results = yield* existingJobs(envelopes)
        const fresh = envelopes.filter((e) => !results.has(batchKey(e)))
        if (fresh.length === 0) return results
        // send_batch returns the new ids in input order; a key or job_id taken meanwhile fails the
        // whole statement, sends included.
        const messages = yield* Effect.forEach(fresh, (e) => Envelope.TraceLink.withSpanId(e, Envelope.encode(e)))
        const sent = yield* sql<{ readonly n: string; readonly msg_id: string; readonly enqueued_at: Date }>`
          WITH sent AS MATERIALIZED (
            SELECT s.msg_id, s.n FROM pgmq.send_batch(${queue}::text, ${
          messages.map((message) => JSON.stringify(message))
        }::jsonb[], 0::integer) WITH ORDINALITY AS s(msg_id, n), ${notifyCall(sql, queue)}
          ), recorded AS (
            INSERT INTO workers.job_requests (org_id, idempotency_key, job_id, queue_name, msg_id, trace_id)
            SELECT i.org_id, i.idempotency_key, i.job_id, ${queue}, s.msg_id, i.trace_id
            FROM unnest(${fresh.map((e) => e.org_id)}::uuid[], ${fresh.map((e) => e.idempotency_key)}::text[],
              ${fresh.map((e) => e.job_id)}::uuid[], ${fresh.map((e) => e.trace_id)}::uuid[]) WITH ORDINALITY
              AS i(org_id, idempotency_key, job_id, trace_id, n)
            JOIN sent s ON s.n = i.n
            -- One order of keys for every batch, so that two batches sharing keys wait for each other
            -- instead of deadlocking on the unique index.
            ORDER BY i.org_id, i.idempotency_key
            RETURNING msg_id, enqueued_at
          )
          SELECT s.n::text, s.msg_id::text, r.enqueued_at FROM sent s JOIN recorded r USING (msg_id)`
        for (const row of sent) {
          const envelope = fresh[Number(row.n) - 1]!
          sentAt.set(Number(row.msg_id), row.enqueued_at)
          results.set(batchKey(envelope), {
            _tag: "Enqueued",
            jobId: envelope.job_id,
            msgId: Number(row.msg_id),
            queue,
            traceId: envelope.trace_id
          })
        }
        return results
      })

    const requestOf = (jobId: string) =>
      Effect.map(
        sql<RequestRow>`
          SELECT org_id::text, idempotency_key, queue_name, msg_id::text, enqueued_at
          FROM workers.job_requests WHERE job_id = ${jobId}::uuid`,
        (rows) => Option.fromNullable(rows[0])
      )

    const ledgerOf = (jobId: string) =>
      Effect.map(
        sql<LedgerRow>`
          SELECT org_id::text, idempotency_key, queue_name, msg_id::text, worker_id, completed_at,
                 completed_at AS enqueued_at
          FROM workers.job_ledger WHERE job_id = ${jobId}::uuid
          ORDER BY completed_at DESC LIMIT 1`,
        (rows) => Option.fromNullable(rows[0])
      )

    /**
     * The job's newest message still in a queue table. The messages the API sent for it (the
     * enqueue, each replay) are looked up by id; a job sent some other way is searched for by
     * job id, in the queue named or in every queue.
     */
    const liveMessage = (
      jobId: string,
      known: ReadonlyArray<{ readonly queue: string; readonly msgId: number }>,
      queue: string | undefined
    ) =>
      Effect.gen(function*() {
        const found: Array<{ readonly queue: QueueName; readonly message: QueueMessage }> = []
        if (known.length > 0) {
          const byQueue = new Map<string, Array<MessageId>>()
          for (const { msgId, queue } of known) byQueue.set(queue, [...(byQueue.get(queue) ?? []), msgId as MessageId])
          for (const [name, msgIds] of byQueue) {
            const resolved = yield* directory.resolve(name).pipe(Effect.option)
            if (Option.isNone(resolved)) continue
            for (const message of yield* pgmq.find(resolved.value, { msgIds })) found.push({ queue: resolved.value, message })
          }
        } else {
          const queues = queue === undefined
            ? (yield* directory.all()).filter((name) => name !== DEAD_LETTER_QUEUE)
            : Option.toArray(yield* directory.resolve(queue).pipe(Effect.option))
          for (const name of queues) {
            const [message] = yield* pgmq.find(name, { contains: { job_id: jobId }, newestFirst: true, limit: 1 })
            if (message !== undefined) return Option.some({ queue: name, message })
          }
        }
        return Option.fromNullable(
          found.sort((a, b) => b.message.enqueuedAt.getTime() - a.message.enqueuedAt.getTime())[0]
        )
      })

    const lastDeadLetter = (jobId: string) =>
      Effect.gen(function*() {
        const filter = { contains: { job_id: jobId }, newestFirst: true, limit: 1 } as const
        const pending = yield* pgmq.find(DEAD_LETTER_QUEUE, filter)
        const resolved = yield* pgmq.findArchived(DEAD_LETTER_QUEUE, filter)
        const newest = [...pending.map((m) => ({ m, pending: true })), ...resolved.map((m) => ({ m, pending: false }))]
          .sort((a, b) => b.m.msgId - a.m.msgId)[0]
        if (newest === undefined) return Option.none()
        return Option.map(decodeRecord(newest.m.message), (record) => ({
          id: newest.m.msgId as MessageId,
          pending: newest.pending,
          record
        }))
      })

    /** Where the job is now; none when nothing knows the job id. */
    const status = Effect.fn("JobRequests.status")(function*(jobId: string) {
      const request = Option.getOrUndefined(yield* requestOf(jobId))
      const ledger = Option.getOrUndefined(yield* ledgerOf(jobId))
      const dead = Option.getOrUndefined(yield* lastDeadLetter(jobId))
      const queue = request?.queue_name ?? ledger?.queue_name ?? dead?.record.source_queue
      const replays = yield* sql<{ readonly source_queue: string; readonly new_msg_id: string }>`
        SELECT source_queue, new_msg_id::text FROM workers.dead_letter_replays WHERE job_id = ${jobId}::uuid`
      const sent = [
        ...(request === undefined ? [] : [{ queue: request.queue_name, msgId: Number(request.msg_id) }]),
        ...replays.map((replay) => ({ queue: replay.source_queue, msgId: Number(replay.new_msg_id) }))
      ]
      const live = ledger === undefined ? Option.getOrUndefined(yield* liveMessage(jobId, sent, queue)) : undefined
      if (request === undefined && ledger === undefined && dead === undefined && live === undefined) {
        return Option.none<JobStatus>()
      }
      const lastError: JobError | null = dead === undefined ? null : {
        reason: dead.record.reason,
        tag: dead.record.error.tag,
        message: dead.record.error.message,
        ...(dead.record.error.details === undefined ? {} : { details: dead.record.error.details }),
        at: new Date(dead.record.dead_lettered_at),
        deadLetterId: dead.id
      }
      const base = {
        jobId,
        queue: live?.queue ?? queue ?? null,
        orgId: request?.org_id ?? ledger?.org_id ?? null,
        idempotencyKey: request?.idempotency_key ?? ledger?.idempotency_key ?? null,
        enqueuedAt: request?.enqueued_at ?? null,
        lastError,
        replays: replays.length
      }
      if (ledger !== undefined) {
        // The queue may have been dropped since; only the attempt count would be missing.
        const [archived] = yield* pgmq.findArchived(ledger.queue_name as QueueName, {
          msgIds: [Number(ledger.msg_id) as MessageId]
        }).pipe(Effect.orElseSucceed(() => []))
        return Option.some<JobStatus>({
          ...base,
          state: "completed",
          msgId: Number(ledger.msg_id),
          attempts: archived?.readCt ?? 1,
          enqueuedAt: base.enqueuedAt ?? archived?.enqueuedAt ?? null,
          visibleAt: null,
          completedAt: ledger.completed_at,
          workerId: ledger.worker_id
        })
      }
      if (live !== undefined) {
        const message = live.message
        const now = Date.now()
        const state: JobState = message.vt.getTime() <= now ? "queued" : message.readCt > 0 ? "in_flight" : "scheduled"
        return Option.some<JobStatus>({
          ...base,
          state,
          msgId: message.msgId,
          attempts: message.readCt,
          enqueuedAt: message.enqueuedAt,
          visibleAt: message.vt,
          completedAt: null,
          workerId: null
        })
      }
      if (dead !== undefined && dead.pending) {
        return Option.some<JobStatus>({
          ...base,
          state: "dead_lettered",
          msgId: dead.record.source_msg_id,
          attempts: dead.record.read_ct,
          enqueuedAt: new Date(dead.record.enqueued_at),
          visibleAt: null,
          completedAt: null,
          workerId: dead.record.worker_id
        })
      }
      return Option.some<JobStatus>({
        ...base,
        state: "archived",
        msgId: request === undefined ? dead?.record.source_msg_id ?? null : Number(request.msg_id),
        attempts: dead?.record.read_ct ?? 0,
        visibleAt: null,
        completedAt: null,
        workerId: null
      })
    }, Effect.orDie)

    return { enqueue, enqueueMany, status } as const
  }),
  dependencies: [QueueDirectory.Default]
}) {}
