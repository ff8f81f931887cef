import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { DEAD_LETTER_QUEUE } from "../src/queue/catalog.js"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { queueName } from "../src/queue/QueueName.js"
import { withCliFixture } from "./support/cli.js"
import { deadLetter } from "./support/deadLetters.js"

describe("dragonfly dlq", () => {
  it.live("list, show, replay once, and replay-all: a count without --yes, then the matching ones", () =>
    withCliFixture(({ dragonfly }) =>
      Effect.gen(function*() {
        const pgmq = yield* PgmqQueue
        const a = yield* deadLetter({ reason: "invalid_payload", error: { tag: "Permanent", message: "no such plaintiff" } })
        const b = yield* deadLetter({ reason: "max_attempts_exceeded" })
        const c = yield* deadLetter({ reason: "max_attempts_exceeded" })

        const [listed, filtered, shown] = yield* Effect.all([
          dragonfly(["dlq", "list"]),
          dragonfly(["dlq", "list", "--reason", "invalid_payload", "--json"]),
          dragonfly(["dlq", "show", String(a.id), "--json"])
        ], { concurrency: 3 })
        assert.strictEqual(listed.code, 0, listed.stderr)
        const ids = listed.stdout.split("\n").slice(1).filter(Boolean).map((line) => Number(line.trim().split(/ +/)[0]))
        assert.deepStrictEqual(ids, [c.id, b.id, a.id])
        assert.include(listed.stdout, "Permanent: no such plaintiff")

        const lines = filtered.stdout.trim().split("\n").map((line) => JSON.parse(line))
        assert.deepStrictEqual(lines.map((line) => [line.id, line.state, line.source_queue]), [[a.id, "pending", "probe_main"]])

        assert.strictEqual(shown.code, 0, shown.stderr)
        assert.deepStrictEqual(JSON.parse(shown.stdout).original, a.record.original)

        const replayed = yield* dragonfly(["dlq", "replay", String(a.id), "--why", "plaintiff imported", "--by", "ops"])
        assert.strictEqual(replayed.code, 0, replayed.stderr)
        assert.match(replayed.stdout, new RegExp(`^replayed dead letter ${a.id} → probe_main as message \\d+`))
        const [again, missing, resolved, dryRun, noReason] = yield* Effect.all([
          dragonfly(["dlq", "replay", String(a.id), "--why", "again"]),
          dragonfly(["dlq", "replay", "999999", "--why", "x"]),
          dragonfly(["dlq", "list", "--resolved", "--json"]),
          dragonfly(["dlq", "replay-all", "--reason", "max_attempts_exceeded"]),
          dragonfly(["dlq", "replay-all", "--yes"])
        ], { concurrency: 5 })
        assert.strictEqual(again.code, 1)
        assert.match(again.stderr, new RegExp(`^error: dead letter ${a.id} was replayed at .* by ops`))
        assert.strictEqual(missing.code, 1)
        assert.include(missing.stderr, "error: no dead letter 999999")
        const view = JSON.parse(resolved.stdout.trim())
        assert.include(view.replay, { replayed_by: "ops", reason: "plaintiff imported" })

        assert.strictEqual(dryRun.code, 0, dryRun.stderr)
        assert.include(dryRun.stdout, "2 pending dead letters match")
        assert.strictEqual(yield* pgmq.count(DEAD_LETTER_QUEUE), 2)
        assert.strictEqual(noReason.code, 1)
        assert.include(noReason.stderr, "--why")
        const all = yield* dragonfly(["dlq", "replay-all", "--reason", "max_attempts_exceeded", "--yes", "--why", "upstream back"])
        assert.strictEqual(all.code, 0, all.stderr)
        assert.include(all.stdout, "2 of 2 matching dead letters replayed")
        assert.strictEqual(yield* pgmq.count(DEAD_LETTER_QUEUE), 0)
        // the originals are back on their queue: the one replayed alone, and these two
        assert.strictEqual(yield* pgmq.count(queueName("probe_main")), 3)
      })), 60_000)
})

