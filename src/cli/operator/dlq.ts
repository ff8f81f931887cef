import { Args, Command, Options } from "@effect/cli"
import { Console, Data, Effect, Option } from "effect"
import { userInfo } from "node:os"
import { DeadLetterView, Replay } from "../../api/schemas.js"
import { type DeadLetterEntry, type DeadLetterQuery, DeadLetters, type ReplayRecord } from "../../deadletter/DeadLetters.js"
import { OperatorLive } from "./layers.js"
import { table } from "./table.js"
import { operatorCommand } from "./environment.js"

/** A bulk replay needs a reason to record. */
export class MissingReason extends Data.TaggedError("MissingReason") {
  override get message() {
    return "replay-all --yes needs --why \"…\" (recorded with each replay)"
  }
}

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON (the API's shapes)"))

const queue = Options.text("queue").pipe(Options.optional, Options.withDescription("Only from this source queue"))
const reason = Options.text("reason").pipe(
  Options.optional,
  Options.withDescription("Only with this reason: invalid_envelope, invalid_payload, permanent_failure, max_attempts_exceeded")
)
const since = Options.date("since").pipe(Options.optional, Options.withDescription("Dead-lettered at or after (ISO 8601)"))
const until = Options.date("until").pipe(Options.optional, Options.withDescription("Dead-lettered before (ISO 8601)"))
const filters = { queue, reason, since, until }

const queryOf = (options: {
  readonly queue: Option.Option<string>
  readonly reason: Option.Option<string>
  readonly since: Option.Option<Date>
  readonly until: Option.Option<Date>
}): DeadLetterQuery => ({
  sourceQueue: Option.getOrUndefined(options.queue),
  reason: Option.getOrUndefined(options.reason),
  since: Option.getOrUndefined(options.since),
  until: Option.getOrUndefined(options.until)
})

const why = Options.text("why").pipe(Options.withDescription("Why it is replayed (recorded with the replay)"))
const by = Options.text("by").pipe(
  Options.withDefault(userInfo().username),
  Options.withDescription("Who replays it (recorded; default: the OS user)")
)

const encode = (value: DeadLetterView | Replay) => JSON.stringify(value)

const oneLine = (text: string, max = 60) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

const listed = (entries: ReadonlyArray<DeadLetterEntry>) =>
  table(
    ["id", "state", "dead-lettered", "queue", "reason", "reads", "job", "error"],
    entries.map((entry) => [
      entry.id,
      entry.state,
      entry.deadLetteredAt.toISOString().slice(0, 19) + "Z",
      entry.record.source_queue,
      entry.record.reason,
      entry.record.read_ct,
      entry.record.job_id,
      oneLine(`${entry.record.error.tag}: ${entry.record.error.message}`)
    ])
  )

const replayLine = (replay: ReplayRecord) =>
  `dead letter ${replay.deadLetterId} → ${replay.sourceQueue} as message ${replay.newMsgId}` +
  (replay.jobId === null ? "" : ` (job ${replay.jobId})`)

const limitOption = (fallback: number, description: string) =>
  Options.integer("limit").pipe(Options.withDefault(fallback), Options.withDescription(description))

const list = operatorCommand(
  "list",
  { ...filters, json, resolved: Options.boolean("resolved").pipe(Options.withDescription("Replayed or archived ones instead of pending")), limit: limitOption(20, "At most this many, newest first") },
  (options) =>
    Effect.gen(function*() {
      const deadLetters = yield* DeadLetters
      const page = yield* deadLetters.list(queryOf(options), {
        resolved: options.resolved,
        limit: Math.min(Math.max(1, options.limit), 1000)
      })
      if (options.json) {
        for (const entry of page.entries) yield* Console.log(encode(DeadLetterView.fromEntry(entry)))
        return
      }
      if (page.entries.length === 0) return yield* Console.log(`no ${options.resolved ? "resolved" : "pending"} dead letters`)
      yield* Console.log(listed(page.entries))
      if (page.nextCursor !== null) yield* Console.log(`(more: raise --limit, or narrow with --queue, --reason, --since)`)
    }).pipe(Effect.provide(OperatorLive))
).pipe(Command.withDescription("Dead letters, newest first (pending unless --resolved)"))

const id = Args.integer({ name: "id" }).pipe(Args.withDescription("The dead letter's id (its msg_id in pgmq.q_dead_letter)"))

const show = operatorCommand("show", { id, json }, (options) =>
  Effect.gen(function*() {
    const entry = yield* (yield* DeadLetters).get(options.id)
    const view = DeadLetterView.fromEntry(entry)
    if (options.json) return yield* Console.log(encode(view))
    yield* Console.log(JSON.stringify(view, null, 2))
  }).pipe(Effect.provide(OperatorLive))).pipe(
    Command.withDescription("One dead letter: its reason, error, the original message, and its replay if any")
  )

const replay = operatorCommand("replay", { id, why, by }, (options) =>
  Effect.gen(function*() {
    const done = yield* (yield* DeadLetters).replay(options.id, { replayedBy: options.by, reason: options.why })
    yield* Console.log(`replayed ${replayLine(done)}`)
  }).pipe(Effect.provide(OperatorLive))).pipe(
    Command.withDescription(
      "Send a dead letter's original message back to its source queue as a new message, once; records who and why"
    )
  )

const replayAll = operatorCommand(
  "replay-all",
  {
    ...filters,
    why: why.pipe(Options.optional),
    by,
    limit: limitOption(100, "At most this many, oldest first"),
    yes: Options.boolean("yes").pipe(Options.withDescription("Replay them; without it, only count what would be replayed"))
  },
  (options) =>
    Effect.gen(function*() {
      const deadLetters = yield* DeadLetters
      const query = queryOf(options)
      const matched = yield* deadLetters.count(query)
      const limit = Math.min(Math.max(1, options.limit), 1000)
      if (!options.yes) {
        return yield* Console.log(
          `${matched} pending dead letter${matched === 1 ? " matches" : "s match"}; ` +
            `with --yes --why "…" the ${Math.min(matched, limit)} oldest would be replayed`
        )
      }
      if (Option.isNone(options.why)) return yield* Effect.fail(new MissingReason())
      const replayed = yield* deadLetters.replayMatching(query, limit, { replayedBy: options.by, reason: options.why.value })
      for (const done of replayed) yield* Console.log(`replayed ${replayLine(done)}`)
      yield* Console.log(`${replayed.length} of ${matched} matching dead letter${matched === 1 ? "" : "s"} replayed`)
    }).pipe(Effect.provide(OperatorLive))
).pipe(Command.withDescription("Replay the pending dead letters matching the filters (a count only, unless --yes)"))

export const dlqCommand = Command.make("dlq").pipe(
  Command.withDescription("The dead-letter queue (pgmq.q_dead_letter)"),
  Command.withSubcommands([list, show, replay, replayAll])
)
