import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect } from "effect"
import { DeadLetters } from "../../deadletter/DeadLetters.js"
import { Api } from "../Api.js"
import { BadRequest, Conflict, NotFound } from "../errors.js"
import {
  BulkReplayResult,
  DeadLetterGroups,
  DeadLetterGroupView,
  DeadLetterPage,
  DeadLetterView,
  Replay,
  ReplayAuditView,
  ReplayTrail
} from "../schemas.js"

const DEFAULT_PAGE = 50
const DEFAULT_GROUPS = 100

const query = (filter: {
  readonly source_queue?: string | undefined
  readonly reason?: string | undefined
  readonly since?: Date | undefined
  readonly until?: Date | undefined
  readonly signature?: string | undefined
}) => ({
  sourceQueue: filter.source_queue,
  reason: filter.reason,
  since: filter.since,
  until: filter.until,
  signature: filter.signature
})

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
            dead_letters: page.entries.map(DeadLetterView.fromEntry),
            next_cursor: page.nextCursor === null ? null : String(page.nextCursor)
          })
        }))
      .handle("groups", ({ urlParams }) =>
        Effect.map(deadLetters.groups(urlParams.limit ?? DEFAULT_GROUPS), (groups) =>
          new DeadLetterGroups({
            groups: groups.map(DeadLetterGroupView.fromGroup),
            pending: groups.reduce((sum, group) => sum + group.deadLetters, 0)
          })))
      .handle("replays", ({ urlParams }) =>
        Effect.map(
          deadLetters.replays(
            { sourceQueue: urlParams.source_queue, replayedBy: urlParams.replayed_by },
            urlParams.limit ?? DEFAULT_PAGE
          ),
          (replays) => new ReplayTrail({ replays: replays.map(ReplayAuditView.fromAudit) })
        ))
      .handle("get", ({ path }) =>
        deadLetters.get(path.id).pipe(
          Effect.map(DeadLetterView.fromEntry),
          Effect.catchTag("DeadLetterNotFound", (error) => new NotFound({ message: error.message }))
        ))
      .handle("replay", ({ path, payload }) =>
        deadLetters.replay(path.id, { replayedBy: payload.replayed_by, reason: payload.reason }).pipe(
          Effect.map(Replay.fromRecord),
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
          return new BulkReplayResult({ dry_run: false, matched, replayed: replayed.map(Replay.fromRecord) })
        }))
  }))
