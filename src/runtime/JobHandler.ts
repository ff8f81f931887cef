import type { SqlError } from "@effect/sql"
import { Context, Effect, Either, ParseResult, Schema } from "effect"
import type { JobEnvelope } from "../envelope/index.js"
import type { MessageId } from "../queue/PgmqQueue.js"
import type { QueueName } from "../queue/QueueName.js"
import { InvalidPayload, type JobFailure } from "./errors.js"

export interface Delivery {
  readonly envelope: JobEnvelope
  readonly queue: QueueName
  readonly msgId: MessageId
  /**
   * Which attempt this is, 1 on the first: earlier failures and crashes of the job itself, plus
   * one. A delivery lost together with other jobs (the process died of another one) is not counted.
   */
  readonly attempt: number
  /** Which delivery this is (pgmq read_ct), 1 on the first; counts every delivery. */
  readonly delivery: number
}

export interface Job<Payload> extends Delivery {
  readonly payload: Payload
}

/**
 * Database writes that must commit together with the job's acknowledgement and its idempotency
 * record, or not at all. Runs in the acknowledging transaction; `SqlError` counts as retryable.
 */
export type Writes = Effect.Effect<void, JobFailure | SqlError.SqlError>

export const noWrites: Writes = Effect.void

export interface JobHandlerShape {
  /** Decodes the payload, does the work that needs no transaction, and returns the writes to commit. */
  readonly handle: (delivery: Delivery) => Effect.Effect<Writes, InvalidPayload | JobFailure>
}

/** A service's job logic, provided by the service's layer and run by the worker runtime. */
export class JobHandler extends Context.Tag("runtime/JobHandler")<JobHandler, JobHandlerShape>() {}

const problemsOf = (error: ParseResult.ParseError) =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
    field: ["payload", ...issue.path.map(String)].join("."),
    problem: issue._tag === "Missing" ? "is required" : issue.message
  }))

/**
 * What is wrong with a payload for `schema`, as the worker would dead-letter it (`payload.<field>`):
 * nothing when it decodes. The API checks enqueued payloads with it.
 */
export const payloadProblems = <Payload, Encoded>(schema: Schema.Schema<Payload, Encoded>) => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "all" })
  return (payload: unknown): InvalidPayload["problems"] => {
    const decoded = decode(payload)
    return Either.isLeft(decoded) ? problemsOf(decoded.left) : []
  }
}

/**
 * A handler for payloads of `schema`: a payload that does not decode is `InvalidPayload`. The
 * schema must decode synchronously (no effectful transformations): it runs for every job.
 */
export const make = <Payload, Encoded>(options: {
  readonly payload: Schema.Schema<Payload, Encoded>
  readonly handle: (job: Job<Payload>) => Effect.Effect<Writes, JobFailure>
}): JobHandlerShape => {
  const decode = Schema.decodeUnknownEither(options.payload, { errors: "all" })
  return {
    handle: (delivery) => {
      const payload = decode(delivery.envelope.payload)
      return Either.isLeft(payload)
        ? Effect.fail(new InvalidPayload({ problems: problemsOf(payload.left) }))
        : options.handle({ ...delivery, payload: payload.right })
    }
  }
}
