import { Either, ParseResult, Schema } from "effect"

/**
 * A pgmq queue name our code accepts: lower-case letters, digits and `_`, starting with a letter,
 * at most 47 characters (pgmq's own limit). Everything that reaches pgmq SQL has passed this.
 */
export const QueueName = Schema.String.pipe(
  Schema.pattern(/^[a-z][a-z0-9_]*$/, {
    message: () => "a queue name is lower-case letters, digits and '_', starting with a letter"
  }),
  Schema.maxLength(47, { message: () => "a queue name is at most 47 characters" }),
  Schema.brand("QueueName")
)
export type QueueName = typeof QueueName.Type

export const decodeQueueName = Schema.decodeUnknownEither(QueueName)

/** For names fixed in code; throws on a bad literal (a programming error). */
export const queueName = (name: string): QueueName =>
  Either.getOrThrowWith(decodeQueueName(name), (error) => new Error(ParseResult.TreeFormatter.formatErrorSync(error)))
