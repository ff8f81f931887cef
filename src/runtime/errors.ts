import { Schema } from "effect"

/** Worth another try later (an upstream was down, a lock timed out, …). Redelivered on the retry schedule. */
export class Retryable extends Schema.TaggedError<Retryable>()("Retryable", {
  message: Schema.String,
  details: Schema.optional(Schema.Unknown)
}) {}

/** Will fail the same way every time. Dead-lettered at once as `permanent_failure`. */
export class Permanent extends Schema.TaggedError<Permanent>()("Permanent", {
  message: Schema.String,
  details: Schema.optional(Schema.Unknown)
}) {}

/** The envelope is valid but its `payload` is not what the service accepts. Dead-lettered at once. */
export class InvalidPayload extends Schema.TaggedError<InvalidPayload>()("InvalidPayload", {
  problems: Schema.Array(Schema.Struct({ field: Schema.String, problem: Schema.String }))
}) {
  override get message() {
    return `Invalid payload: ${this.problems.map(({ field, problem }) => `${field} ${problem}`).join("; ")}`
  }
}

/** What a handler may fail with. Anything else it throws is a defect, retried like `Retryable`. */
export type JobFailure = Retryable | Permanent
