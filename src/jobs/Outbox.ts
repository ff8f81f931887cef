import { SqlClient } from "@effect/sql"
import { Effect, Option, Schema } from "effect"
import * as Envelope from "../envelope/index.js"
import { queueName } from "../queue/QueueName.js"
import { JobRequests } from "./JobRequests.js"

export const COMMS_QUEUE = queueName("comms_outbound")

export const OutboxChannels = ["email", "sms"] as const
export type OutboxChannel = (typeof OutboxChannels)[number]

/** A message to a debtor, rendered, as its cause asks for it. */
export interface OutboxRequest {
  readonly orgId: string
  readonly judgmentId: string
  readonly taskId?: string | null
  readonly channel: OutboxChannel
  readonly kind: string
  readonly recipient: string
  readonly subject: string | null
  readonly body: string
  readonly disclosures: ReadonlyArray<string>
  /** For a message whose text depends on the day it is sent: rendered again from this when it is. */
  readonly templateData?: unknown
  /** Who asked: `plan:<plan id>`, `api`, `inbound:<suppression id>`. */
  readonly requestedBy: string
  /** One message per key and organisation: asking again answers the first. */
  readonly idempotencyKey: string
  readonly traceId?: string
}

export interface OutboxEntry {
  readonly outboxId: string
  readonly jobId: string
  /** False when the key named an existing message. */
  readonly created: boolean
}

/** The comms job's payload: which outbox row to send. */
export const CommsPayload = Schema.Struct({ outbox_id: Schema.UUID })

/** A comms job is about the judgment (the debt) its message concerns. */
const commsEnvelope = (
  target: { readonly orgId: string; readonly judgmentId: string; readonly outboxId: string },
  jobId: string,
  key: string,
  traceId?: string
) =>
  Envelope.make({
    org_id: target.orgId,
    job_id: jobId,
    ...(traceId === undefined ? {} : { trace_id: traceId }),
    idempotency_key: key,
    entity_type: "judgment",
    entity_id: target.judgmentId,
    payload: { outbox_id: target.outboxId }
  })

/**
 * The transactional outbox: a message row and the comms job that sends it are written together,
 * in the caller's transaction when it has one (the business change that causes the message), so
 * neither exists without the other.
 */
export class Outbox extends Effect.Service<Outbox>()("jobs/Outbox", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const jobs = yield* JobRequests

    const request = Effect.fn("Outbox.request")(function*(message: OutboxRequest) {
      yield* Effect.annotateCurrentSpan({ orgId: message.orgId, judgmentId: message.judgmentId, kind: message.kind })
      return yield* sql.withTransaction(Effect.gen(function*() {
        const inserted = yield* sql<{ readonly id: string; readonly job_id: string }>`
          INSERT INTO dragonfly.outbox (org_id, judgment_id, task_id, channel, kind, recipient, subject, body,
            disclosures, template_data, idempotency_key, job_id, requested_by)
          VALUES (${message.orgId}::uuid, ${message.judgmentId}, ${message.taskId ?? null}::uuid, ${message.channel},
            ${message.kind}, ${message.recipient}, ${message.subject}, ${message.body}, ${message.disclosures}::text[],
            ${message.templateData === undefined ? null : JSON.stringify(message.templateData)}::jsonb, ${message.idempotencyKey}, gen_random_uuid(), ${message.requestedBy})
          ON CONFLICT (org_id, idempotency_key) DO NOTHING
          RETURNING id::text, job_id::text`
        if (inserted[0] === undefined) {
          const [existing] = yield* sql<{ readonly id: string; readonly job_id: string }>`
            SELECT id::text, job_id::text FROM dragonfly.outbox
            WHERE org_id = ${message.orgId}::uuid AND idempotency_key = ${message.idempotencyKey}`
          return { outboxId: existing!.id, jobId: existing!.job_id, created: false } satisfies OutboxEntry
        }
        const { id, job_id: jobId } = inserted[0]
        yield* jobs.enqueue(
          COMMS_QUEUE,
          commsEnvelope({ ...message, outboxId: id }, jobId, `comms:outbox:${id}`, message.traceId)
        )
        return { outboxId: id, jobId, created: true } satisfies OutboxEntry
      }))
    }, (effect) => Effect.catchTag(effect, "JobIdTaken", Effect.die))

    /**
     * Sends the message's job again, visible at `until` (a deferral): a new job, since the current
     * one completes with the decision. The deferral's number keeps each key distinct.
     */
    const reschedule = Effect.fn("Outbox.reschedule")(
      function*(orgId: string, outboxId: string, deferral: number, delaySeconds: number, traceId: string) {
        const [row] = yield* sql<{ readonly job_id: string; readonly judgment_id: string }>`
          UPDATE dragonfly.outbox SET job_id = gen_random_uuid(), updated_at = now()
          WHERE org_id = ${orgId}::uuid AND id = ${outboxId}::uuid
          RETURNING job_id::text, judgment_id`
        if (row === undefined) return
        yield* jobs.enqueue(
          COMMS_QUEUE,
          commsEnvelope(
            { orgId, judgmentId: row.judgment_id, outboxId },
            row.job_id,
            `comms:outbox:${outboxId}:deferral:${deferral}`,
            traceId
          ),
          { delaySeconds }
        )
      },
      (effect) => Effect.catchTag(effect, "JobIdTaken", Effect.die)
    )

    /** The message an idempotency key already names, if any. */
    const find = Effect.fn("Outbox.find")(function*(orgId: string, idempotencyKey: string) {
      const rows = yield* sql<{ readonly id: string; readonly job_id: string }>`
        SELECT id::text, job_id::text FROM dragonfly.outbox WHERE org_id = ${orgId}::uuid AND idempotency_key = ${idempotencyKey}`
      return Option.fromNullable(rows[0]).pipe(
        Option.map((row): OutboxEntry => ({ outboxId: row.id, jobId: row.job_id, created: false }))
      )
    })

    return { request, reschedule, find } as const
  }),
  dependencies: [JobRequests.Default]
}) {}
