import { assert, describe, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import { BulkReplayRequest } from "../src/api/schemas.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import * as ApiTest from "./support/api.js"
import { authorized, raw } from "./support/api.js"
import { deadLetter } from "./support/deadLetters.js"
import { count, PROBE_QUEUE } from "./support/runtime.js"

const author = { replayed_by: "ops@dragonfly.law", reason: "upstream fixed" }

/** A database of the test's own: dead letters from other tests would change the counts. */
const fresh = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.provide(self, ApiTest.layer())

describe("API: dead letters", () => {
  it.scoped("list: newest first, filtered by source queue, reason and time, in pages", () =>
    fresh(Effect.gen(function*() {
      const a = yield* deadLetter({ reason: "invalid_envelope" })
      const b = yield* deadLetter({ source_queue: "score_collectability" })
      const c = yield* deadLetter()
      const d = yield* deadLetter({ reason: "permanent_failure" })
      const e = yield* deadLetter()
      const client = yield* ApiTest.client()

      const all = yield* client.deadLetters.list({ urlParams: {} })
      assert.deepStrictEqual(all.dead_letters.map((x) => x.id), [e.id, d.id, c.id, b.id, a.id])
      assert.isNull(all.next_cursor)
      const first = all.dead_letters[0]!
      assert.strictEqual(first.state, "pending")
      assert.strictEqual(first.source_queue, "probe_main")
      assert.strictEqual(first.error.message, "upstream down")
      assert.deepStrictEqual(first.original, e.record.original)
      assert.isNull(first.replay)

      const byQueue = yield* client.deadLetters.list({ urlParams: { source_queue: "score_collectability" } })
      assert.deepStrictEqual(byQueue.dead_letters.map((x) => x.id), [b.id])
      const byReason = yield* client.deadLetters.list({ urlParams: { reason: "max_attempts_exceeded" } })
      assert.deepStrictEqual(byReason.dead_letters.map((x) => x.id), [e.id, c.id, b.id])
      const future = yield* client.deadLetters.list({ urlParams: { since: new Date(Date.now() + 60_000) } })
      assert.lengthOf(future.dead_letters, 0)
      const past = yield* client.deadLetters.list({ urlParams: { until: new Date(Date.now() + 60_000) } })
      assert.lengthOf(past.dead_letters, 5)

      const pages: Array<Array<number>> = []
      let cursor: string | undefined = undefined
      do {
        const page: typeof all = yield* client.deadLetters.list({
          urlParams: { limit: 2, ...(cursor === undefined ? {} : { cursor }) }
        })
        pages.push(page.dead_letters.map((x) => x.id))
        cursor = page.next_cursor ?? undefined
      } while (cursor !== undefined)
      assert.deepStrictEqual(pages, [[e.id, d.id], [c.id, b.id], [a.id]])

      const badCursor = yield* raw("/v1/dead-letters?cursor=abc", { headers: authorized() })
      assert.strictEqual(badCursor.status, 400)
      assert.strictEqual(badCursor.json._tag, "BadRequest")
    })))

  it.scoped("get one; 404 for an unknown id", () =>
    fresh(Effect.gen(function*() {
      const a = yield* deadLetter()
      const client = yield* ApiTest.client()
      const found = yield* client.deadLetters.get({ path: { id: a.id } })
      assert.strictEqual(found.id, a.id)
      assert.strictEqual(found.job_id, a.record.job_id)
      assert.strictEqual(found.read_ct, 3)
      const missing = yield* Effect.flip(client.deadLetters.get({ path: { id: 987654 } }))
      assert.strictEqual(missing._tag, "NotFound")
    })))

  it.scoped("replay: the original goes back to its queue as a new message, once; who and why are recorded", () =>
    fresh(Effect.gen(function*() {
      const pgmq = yield* PgmqQueue
      const a = yield* deadLetter()
      const client = yield* ApiTest.client()
      const replay = yield* client.deadLetters.replay({ path: { id: a.id }, payload: author })
      assert.strictEqual(replay.dead_letter_id, a.id)
      assert.strictEqual(replay.source_queue, "probe_main")
      assert.strictEqual(replay.replayed_by, author.replayed_by)
      assert.strictEqual(replay.reason, author.reason)
      assert.strictEqual(replay.job_id, a.record.job_id)
      const [message] = yield* pgmq.find(PROBE_QUEUE, { msgIds: [replay.new_msg_id as never] })
      assert.deepStrictEqual(message!.message, a.record.original)
      assert.strictEqual(message!.readCt, 0)

      const after = yield* client.deadLetters.get({ path: { id: a.id } })
      assert.strictEqual(after.state, "replayed")
      assert.strictEqual(after.replay?.new_msg_id, replay.new_msg_id)
      const again = yield* raw(`/v1/dead-letters/${a.id}/replay`, {
        method: "POST",
        headers: authorized({ "content-type": "application/json" }),
        body: JSON.stringify(author)
      })
      assert.strictEqual(again.status, 409)
      assert.strictEqual(again.json._tag, "Conflict")
      assert.include(again.json.message, author.replayed_by)
      assert.strictEqual(yield* count(`SELECT count(*) AS n FROM pgmq.q_probe_main`), 1)

      const pending = yield* client.deadLetters.list({ urlParams: {} })
      assert.lengthOf(pending.dead_letters, 0)
      const resolved = yield* client.deadLetters.list({ urlParams: { state: "resolved" } })
      assert.deepStrictEqual(resolved.dead_letters.map((x) => [x.id, x.state]), [[a.id, "replayed"]])

      const status = yield* client.jobs.status({ path: { job_id: a.record.job_id! } })
      assert.strictEqual(status.state, "queued")
      assert.strictEqual(status.replays, 1)
      assert.strictEqual(status.last_error?.reason, "max_attempts_exceeded")
    })))

  it.scoped("10 concurrent replays of one dead letter: one succeeds, nine are 409, one message", () =>
    fresh(Effect.gen(function*() {
      const a = yield* deadLetter()
      const responses = yield* Effect.all(
        Array.from({ length: 10 }, () =>
          raw(`/v1/dead-letters/${a.id}/replay`, {
            method: "POST",
            headers: authorized({ "content-type": "application/json" }),
            body: JSON.stringify(author)
          })),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(responses.map((r) => r.status).sort(), [200, ...Array(9).fill(409)])
      assert.strictEqual(yield* count(`SELECT count(*) AS n FROM pgmq.q_probe_main`), 1)
      assert.strictEqual(yield* count(`SELECT count(*) AS n FROM workers.dead_letter_replays`), 1)
    })))

  it.scoped("replay needs who and why; a dead letter whose queue is gone cannot be replayed", () =>
    fresh(Effect.gen(function*() {
      const a = yield* deadLetter()
      const missing = yield* raw(`/v1/dead-letters/${a.id}/replay`, {
        method: "POST",
        headers: authorized({ "content-type": "application/json" }),
        body: JSON.stringify({ replayed_by: "  " })
      })
      assert.strictEqual(missing.status, 400)
      const orphan = yield* deadLetter({ source_queue: "dropped_queue" })
      const client = yield* ApiTest.client()
      const error = yield* Effect.flip(client.deadLetters.replay({ path: { id: orphan.id }, payload: author }))
      assert.strictEqual(error._tag, "Conflict")
      assert.include(error.message, "dropped_queue")
      const unknown = yield* Effect.flip(client.deadLetters.replay({ path: { id: 424242 }, payload: author }))
      assert.strictEqual(unknown._tag, "NotFound")
    })))

  it.scoped("bulk replay by filter: a dry run counts, a real run replays up to the limit, oldest first", () =>
    fresh(Effect.gen(function*() {
      const matching = yield* Effect.forEach([1, 2, 3], () => deadLetter({ reason: "permanent_failure" }))
      yield* deadLetter({ reason: "invalid_envelope" })
      const client = yield* ApiTest.client()
      const filter = { source_queue: "probe_main", reason: "permanent_failure" }

      const dry = yield* client.deadLetters.replayMany({ payload: new BulkReplayRequest({ filter }) })
      assert.isTrue(dry.dry_run)
      assert.strictEqual(dry.matched, 3)
      assert.lengthOf(dry.replayed, 0)
      assert.strictEqual(yield* count(`SELECT count(*) AS n FROM pgmq.q_probe_main`), 0)

      const anonymous = yield* raw("/v1/dead-letters/replay", {
        method: "POST",
        headers: authorized({ "content-type": "application/json" }),
        body: JSON.stringify({ filter, dry_run: false })
      })
      assert.strictEqual(anonymous.status, 400)

      const first = yield* client.deadLetters.replayMany({
        payload: { filter, dry_run: false, limit: 2, ...author }
      })
      assert.strictEqual(first.matched, 3)
      assert.deepStrictEqual(first.replayed.map((r) => r.dead_letter_id), matching.slice(0, 2).map((m) => m.id))
      const rest = yield* client.deadLetters.replayMany({ payload: { filter, dry_run: false, limit: 100, ...author } })
      assert.strictEqual(rest.matched, 1)
      assert.deepStrictEqual(rest.replayed.map((r) => r.dead_letter_id), [matching[2]!.id])
      const none = yield* client.deadLetters.replayMany({ payload: { filter, dry_run: false, limit: 100, ...author } })
      assert.strictEqual(none.matched, 0)
      assert.strictEqual(yield* count(`SELECT count(*) AS n FROM pgmq.q_probe_main`), 3)
      const left = yield* client.deadLetters.list({ urlParams: {} })
      assert.deepStrictEqual(left.dead_letters.map((x) => x.reason), ["invalid_envelope"])
    })))
})

describe("API: dead-letter groups and the replay audit trail", () => {
  const failure = (message: string) => ({ tag: "Retryable", message })

  it.scoped("an error's signature takes out what varies from job to job, and only that", () =>
    fresh(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const signature = (tag: string, message: string) =>
        Effect.map(sql<{ readonly s: string }>`SELECT workers.error_signature(${tag}, ${message}) AS s`, (rows) => rows[0]!.s)
      assert.strictEqual(
        yield* signature("Retryable", `upstream 503 for job ${randomUUID()} at 2026-11-28T10:00:00.123Z`),
        "Retryable: upstream <n> for job <uuid> at <time>"
      )
      assert.strictEqual(
        yield* signature("InvalidEnvelope", `["org_id"]\n  └─ Expected UUID, actual "not-a-uuid"`),
        `InvalidEnvelope: ["org_id"] └─ Expected UUID, actual <value>`
      )
      assert.strictEqual(yield* signature("Timeout", "trace 4bf92f3577b34da6a3ce929d0e0e4736 took 30.5s"), "Timeout: trace <hex> took <n>s")
      // A digit inside a word is part of the word (a queue name, say).
      assert.strictEqual(yield* signature("", "queue probe2 is gone"), "Unknown: queue probe2 is gone")
    })))

  it.scoped("groups: pending dead letters by source queue, reason and signature, the largest first", () =>
    fresh(Effect.gen(function*() {
      const outage = yield* Effect.forEach([500, 502, 503], (status) =>
        deadLetter({ error: failure(`upstream ${status} for job ${randomUUID()}`) }))
      yield* Effect.forEach([1, 2], () => deadLetter({ error: failure("upstream down") }))
      yield* deadLetter({ source_queue: "score_collectability", error: failure("upstream down") })
      const client = yield* ApiTest.client()

      const { groups, pending } = yield* client.deadLetters.groups({ urlParams: {} })
      assert.strictEqual(pending, 6)
      assert.deepStrictEqual(
        groups.map((g) => [g.source_queue, g.reason, g.signature, g.dead_letters]),
        [
          ["probe_main", "max_attempts_exceeded", "Retryable: upstream <n> for job <uuid>", 3],
          ["probe_main", "max_attempts_exceeded", "Retryable: upstream down", 2],
          ["score_collectability", "max_attempts_exceeded", "Retryable: upstream down", 1]
        ]
      )
      assert.strictEqual(groups[0]!.newest_id, outage[2]!.id)
      assert.strictEqual(groups[0]!.newest_error, outage[2]!.record.error.message)
      const top = yield* client.deadLetters.groups({ urlParams: { limit: 1 } })
      assert.deepStrictEqual([top.groups.length, top.pending], [1, 3])
    })))

  it.scoped("a group is listed and replayed by its fields; the audit trail shows each replay with its dead letter", () =>
    fresh(Effect.gen(function*() {
      const outage = yield* Effect.forEach([500, 502, 503], (status) =>
        deadLetter({ error: failure(`upstream ${status} for job ${randomUUID()}`) }))
      const other = yield* deadLetter({ error: failure("upstream down") })
      const client = yield* ApiTest.client()
      const group = (yield* client.deadLetters.groups({ urlParams: {} })).groups[0]!
      const filter = { source_queue: group.source_queue, reason: group.reason, signature: group.signature }

      const listed = yield* client.deadLetters.list({ urlParams: filter })
      assert.deepStrictEqual(listed.dead_letters.map((x) => x.id), outage.map((x) => x.id).reverse())
      const dry = yield* client.deadLetters.replayMany({ payload: new BulkReplayRequest({ filter }) })
      assert.deepStrictEqual([dry.matched, dry.replayed.length], [3, 0])
      const run = yield* client.deadLetters.replayMany({ payload: { filter, dry_run: false, limit: 100, ...author } })
      assert.deepStrictEqual(run.replayed.map((r) => r.dead_letter_id), outage.map((x) => x.id))
      assert.strictEqual(yield* count(`SELECT count(*) AS n FROM pgmq.q_probe_main`), 3)

      const left = yield* client.deadLetters.groups({ urlParams: {} })
      assert.deepStrictEqual(left.groups.map((g) => [g.signature, g.dead_letters]), [["Retryable: upstream down", 1]])
      const resolved = yield* client.deadLetters.list({ urlParams: { ...filter, state: "resolved" } })
      assert.deepStrictEqual(resolved.dead_letters.map((x) => [x.id, x.state]), outage.map((x) => [x.id, "replayed"]).reverse())

      yield* client.deadLetters.replay({ path: { id: other.id }, payload: { replayed_by: "second@dragonfly.law", reason: "one more" } })
      const trail = yield* client.deadLetters.replays({ urlParams: {} })
      assert.deepStrictEqual(
        trail.replays.map((r) => [r.dead_letter_id, r.replayed_by, r.signature]),
        [
          [other.id, "second@dragonfly.law", "Retryable: upstream down"],
          ...outage.map((x) => [x.id, author.replayed_by, group.signature]).reverse()
        ]
      )
      assert.strictEqual(trail.replays[0]!.dead_letter_reason, "max_attempts_exceeded")
      assert.strictEqual(trail.replays[1]!.error, outage[2]!.record.error.message)
      const byAuthor = yield* client.deadLetters.replays({ urlParams: { replayed_by: "second@dragonfly.law" } })
      assert.deepStrictEqual(byAuthor.replays.map((r) => r.dead_letter_id), [other.id])
      const limited = yield* client.deadLetters.replays({ urlParams: { limit: 2 } })
      assert.lengthOf(limited.replays, 2)
    })))
})
