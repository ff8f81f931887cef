import { Effect, Schema } from "effect"
import { MAX_JSON_DEPTH, nestsAtMost } from "../envelope/index.js"
import { DEAD_LETTER_QUEUE } from "../queue/catalog.js"
import { type MessageId, PgmqQueue, type QueueMessage } from "../queue/PgmqQueue.js"
import type { QueueName } from "../queue/QueueName.js"
import { WorkerIdentity } from "../runtime/WorkerIdentity.js"

export const DeadLetterReasons = [
  "invalid_envelope",
  "invalid_payload",
  "permanent_failure",
  "max_attempts_exceeded"
] as const
export type DeadLetterReason = (typeof DeadLetterReasons)[number]

/** What went wrong, in a form that survives JSON. */
export const ErrorInfo = Schema.Struct({
  tag: Schema.String,
  message: Schema.String,
  details: Schema.optional(Schema.Unknown)
})
export type ErrorInfo = typeof ErrorInfo.Type

/**
 * A message on the `dead_letter` queue: the original message untouched, where it came from, why,
 * and who gave up on it.
 */
export const DeadLetterRecord = Schema.Struct({
  source_queue: Schema.String,
  source_msg_id: Schema.Number,
  read_ct: Schema.Number,
  enqueued_at: Schema.String,
  reason: Schema.Literal(...DeadLetterReasons),
  error: ErrorInfo,
  job_id: Schema.NullOr(Schema.String),
  trace_id: Schema.NullOr(Schema.String),
  worker_id: Schema.String,
  dead_lettered_at: Schema.String,
  original: Schema.Unknown
})
export type DeadLetterRecord = typeof DeadLetterRecord.Type

export interface DeadLetterInput {
  readonly queue: QueueName
  readonly message: QueueMessage
  readonly reason: DeadLetterReason
  readonly error: ErrorInfo
}

/**
 * Marks a dead letter whose original was too deep to copy (JSON.stringify would overflow): the
 * record says where the message is kept instead (the source queue's archive), and it is not replayed.
 */
export const TOO_DEEP = "original_too_deep"

const stringField = (message: unknown, field: string) =>
  typeof message === "object" && message !== null && field in message &&
    typeof (message as Record<string, unknown>)[field] === "string"
    ? (message as Record<string, string>)[field]!
    : null

/** Sends records to the dead-letter queue; inside the caller's transaction when there is one. */
export class DeadLetter extends Effect.Service<DeadLetter>()("deadletter/DeadLetter", {
  effect: Effect.gen(function*() {
    const pgmq = yield* PgmqQueue
    const identity = yield* WorkerIdentity

    const toRecord = (input: DeadLetterInput, at: Date): DeadLetterRecord => ({
      source_queue: input.queue,
      source_msg_id: input.message.msgId,
      read_ct: input.message.readCt,
      enqueued_at: input.message.enqueuedAt.toISOString(),
      reason: input.reason,
      error: input.error,
      job_id: stringField(input.message.message, "job_id"),
      trace_id: stringField(input.message.message, "trace_id"),
      worker_id: identity.workerId,
      dead_lettered_at: at.toISOString(),
      original: nestsAtMost(input.message.message)
        ? input.message.message
        : { [TOO_DEEP]: `nested deeper than ${MAX_JSON_DEPTH} levels: kept as sent in pgmq.a_${input.queue}, msg_id ${input.message.msgId}` }
    })

    const sendAll = Effect.fn("DeadLetter.sendAll")(function*(inputs: ReadonlyArray<DeadLetterInput>) {
      if (inputs.length === 0) return [] as ReadonlyArray<MessageId>
      const now = new Date(yield* Effect.clockWith((clock) => clock.currentTimeMillis))
      return yield* pgmq.sendBatch(DEAD_LETTER_QUEUE, inputs.map((input) => toRecord(input, now)))
    })

    return { sendAll, toRecord } as const
  })
}) {}
