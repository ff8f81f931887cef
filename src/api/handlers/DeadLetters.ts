import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { type DeadLetterEntry, DeadLetters, type ReplayRecord } from "../../deadletter/DeadLetters.js"
import { Api } from "../Api.js"
import { BadRequest, Conflict, NotFound } from "../errors.js"
import { BulkReplayResult, DeadLetterPage, DeadLetterView, Replay } from "../schemas.js"

const DEFAULT_PAGE = 50

const toReplay = (replay: ReplayRecord) =>
  new Replay({
    dead_letter_id: replay.deadLetterId,
    source_queue: replay.sourceQueue,
    new_msg_id: replay.newMsgId,
    job_id: replay.jobId,
    replayed_at: replay.replayedAt,
    replayed_by: replay.replayedBy,
    reason: replay.reason
  })

const toView = (entry: DeadLetterEntry) =>
  new DeadLetterView({
    id: entry.id,
    state: entry.state,
    source_queue: entry.record.source_queue,
    source_msg_id: entry.record.source_msg_id,
    reason: entry.record.reason,
    error: entry.record.error,
    read_ct: entry.record.read_ct,
    job_id: entry.record.job_id,
    trace_id: entry.record.trace_id,
    worker_id: entry.record.worker_id,
    enqueued_at: entry.record.enqueued_at,
    dead_lettered_at: entry.deadLetteredAt,
    original: entry.record.original,
    replay: entry.replay === null ? null : toReplay(entry.replay)
  })

const query = (filter: {
  readonly source_queue?: string | undefined
  readonly reason?: string | undefined
  readonly since?: Date | undefined
  readonly until?: Date | undefined
}) => ({ sourceQueue: filter.source_queue, reason: filter.reason, since: filter.since, until: filter.until })

export const DeadLettersLive = HttpApiBuilder.group(Api, "deadLetters", (handlers) =>
  Effect.gen(function*() {
    const deadLetters = yield* DeadLetters
    return handlers
      .handle("list", ({ urlParams }) =>
        Effect.gen(function*() {
          const cursor = urlParams.cursor === undefined ? undefined : Number(urlParams.cursor)
          if (cursor !== undefined && !(Number.isSafeInteger(cursor) && cursor > 0)) {
            return yield* new BadRequest({ message: "cursor must be the next_cursor of a previous page" })
          }
          const page = yield* deadLetters.list(query(urlParams), {
            resolved: urlParams.state === "resolved",
            cursor,
            limit: urlParams.limit ?? DEFAULT_PAGE
          })
          return new DeadLetterPage({
            dead_letters: page.entries.map(toView),
            next_cursor: page.nextCursor === null ? null : String(page.nextCursor)
          })
        }))
      .handle("get", ({ path }) =>
        deadLetters.get(path.id).pipe(
          Effect.map(toView),
          Effect.catchTag("DeadLetterNotFound", (error) => new NotFound({ message: error.message }))
        ))
      .handle("replay", ({ path, payload }) =>
        deadLetters.replay(path.id, { replayedBy: payload.replayed_by, reason: payload.reason }).pipe(
          Effect.map(toReplay),
          Effect.catchTags({
            DeadLetterNotFound: (error) => new NotFound({ message: error.message }),
            AlreadyResolved: (error) => new Conflict({ message: error.message }),
            NotReplayable: (error) => new Conflict({ message: error.message })
          })
        ))
      .handle("replayMany", ({ payload }) =>
        Effect.gen(function*() {
          const matched = yield* deadLetters.count(query(payload.filter))
          if (payload.dry_run) return new BulkReplayResult({ dry_run: true, matched, replayed: [] })
          if (payload.replayed_by === undefined || payload.reason === undefined) {
            return yield* new BadRequest({ message: "replayed_by and reason are required unless dry_run" })
          }
          const replayed = yield* deadLetters.replayMatching(query(payload.filter), payload.limit, {
            replayedBy: payload.replayed_by,
            reason: payload.reason
          })
          return new BulkReplayResult({ dry_run: false, matched, replayed: replayed.map(toReplay) })
        }))
  }))
