import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import fc from "fast-check"
import { randomUUID } from "node:crypto"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import * as ApiTest from "./support/api.js"
import { authorized, raw } from "./support/api.js"
import { count, envelope, ORG, PROBE_QUEUE, probeWorker, recordedAlerts } from "./support/runtime.js"

/** Runs of the fuzz: the same bodies every run (a failure names its seed and body); FUZZ_SEED explores others. */
const RUNS = 10_000
const SEED = Number(process.env["FUZZ_SEED"] ?? 20261202)

/** `levels` objects inside one another, built without recursion. */
const nested = (levels: number): unknown => {
  let value: unknown = "bottom"
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { deeper: value } : [value]
  return value
}

const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"]

/** Values no field should choke on: wrong types, unicode, NUL, huge strings, deep nesting, prototype keys. */
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.fullUnicodeString({ maxLength: 40 }),
  fc.constantFrom("", " ", "\u0000", "a\u0000b", "\uFEFF", "🦋".repeat(50), "'; DROP TABLE workers.job_requests; --", "../../etc/passwd"),
  fc.integer({ min: 1_000, max: 300_000 }).map((n) => "x".repeat(n)),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.fullUnicodeString({ maxLength: 5 }), { maxLength: 5 }),
  fc.integer({ min: 1, max: 200 }).map(nested),
  fc.dictionary(fc.constantFrom(...PROTOTYPE_KEYS), fc.oneof(fc.string(), fc.constant({ polluted: true })), { maxKeys: 3 }),
  fc.unicodeJsonValue({ maxDepth: 4 })
)

const notASleep = nasty.filter((v) => !(typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 600_000))

const fields = {
  org_id: fc.oneof({ weight: 6, arbitrary: fc.constant(ORG) }, fc.uuid(), nasty),
  idempotency_key: fc.oneof({ weight: 6, arbitrary: fc.uuid() }, nasty),
  entity_type: fc.oneof({ weight: 6, arbitrary: fc.constantFrom("batch", "judgment", "plaintiff") }, nasty),
  entity_id: fc.oneof({ weight: 6, arbitrary: fc.fullUnicodeString({ minLength: 1, maxLength: 20 }) }, nasty),
  payload: fc.oneof(
    { weight: 4, arbitrary: fc.constant({ action: "noop" }) },
    // Never `crash` (the probe's poison message kills its process: this one) nor a sleep the probe would take.
    fc.record({ action: fc.oneof(fc.constantFrom("noop", "record", "fail"), nasty), sleep_ms: notASleep }, { requiredKeys: [] }),
    nasty
  ),
  job_id: fc.oneof({ weight: 3, arbitrary: fc.uuid() }, nasty),
  trace_id: fc.oneof({ weight: 3, arbitrary: fc.uuid() }, nasty),
  attempt: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) }, nasty),
  created_at: fc.oneof({ weight: 3, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) }, nasty)
}
const required = ["org_id", "idempotency_key", "entity_type", "entity_id", "payload"] as const

/** Envelopes near and far from valid: each field valid or nasty, present or not, with extra keys. */
const envelopeLike: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(
    fc.oneof(fc.record(fields, { requiredKeys: [...required] }), fc.record(fields, { requiredKeys: [] })),
    fc.dictionary(fc.constantFrom(...PROTOTYPE_KEYS, "span_id", "extra"), nasty, { maxKeys: 2 })
  ).map(([fields, extra]) => ({ ...extra, ...fields })) },
  { weight: 1, arbitrary: nasty }
)

const bodies = fc.sample(envelopeLike, { numRuns: RUNS, seed: SEED })

/** Sends each body to the API, a few at a time; answers what each got. */
const enqueueAll = (values: ReadonlyArray<unknown>) =>
  Effect.forEach(values, (value, index) =>
    Effect.map(
      raw("/v1/jobs/probe_main", {
        method: "POST",
        headers: authorized({ "content-type": "application/json" }),
        body: JSON.stringify(value)
      }),
      (answer) => ({ index, status: answer.status, msgId: answer.json?.msg_id as number | undefined, tag: answer.json?._tag })
    ), { concurrency: 8 })

describe("bad input: a fuzz of 10,000 envelopes at the API and 10,000 straight into the queue, and deep nesting", () => {
  it.live("the API answers each with a 2xx or a 4xx; the worker dead-letters what it cannot take, with a reason, and never stops", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const pgmq = yield* PgmqQueue

      // At the API: only 202 (or 200 for a duplicate key) and 4xx, never a 5xx or a dropped connection.
      const answers = yield* enqueueAll(bodies)
      const unexpected = answers.filter((a) => ![200, 202, 400, 413, 422].includes(a.status))
      assert.deepStrictEqual(
        unexpected.slice(0, 3).map((a) => ({ ...a, body: JSON.stringify(bodies[a.index]).slice(0, 300) })),
        [],
        `seed ${SEED}`
      )
      const accepted = new Set(answers.filter((a) => a.status === 202).map((a) => a.msgId!))
      assert.isAbove(accepted.size, 50, "the fuzz reaches valid envelopes too")
      assert.isAbove(answers.filter((a) => a.status === 422).length, 1000)
      assert.strictEqual(yield* count(`SELECT count(*) AS n FROM pgmq.q_probe_main`), accepted.size)

      // Straight into the queue, between ordinary jobs. A queue cannot hold a NUL (jsonb refuses it): U+0001 instead.
      const storable = bodies.map((body) => JSON.parse(JSON.stringify(body).replaceAll("\\u0000", "\\u0001")) as unknown)
      const canaries = Array.from({ length: 500 }, () => envelope({ action: "record" }, randomUUID()))
      const mixed = storable.flatMap((body, i) => (i % 20 === 0 ? [body, canaries[i / 20]!] : [body]))
      for (let i = 0; i < mixed.length; i += 500) yield* pgmq.sendBatch(PROBE_QUEUE, mixed.slice(i, i + 500))
      const total = accepted.size + mixed.length

      yield* Layer.build(probeWorker({ concurrency: 8, maxAttempts: 2 }))
      const deadline = Date.now() + 240_000
      let left = total
      while ((left = yield* count(`SELECT count(*) AS n FROM pgmq.q_probe_main`)) > 0) {
        assert.isBelow(Date.now(), deadline, `the worker stalled with ${left} messages left`)
        yield* Effect.sleep("250 millis")
      }

      // Every message settled once: archived, completed or dead-lettered with a reason.
      assert.strictEqual(yield* count(`SELECT count(*) AS n FROM pgmq.a_probe_main`), total)
      const dead = yield* sql<{ readonly source_msg_id: string; readonly reason: string }>`
        SELECT message->>'source_msg_id' AS source_msg_id, message->>'reason' AS reason FROM pgmq.q_dead_letter`
      const reasons = new Set(dead.map((d) => d.reason))
      assert.deepStrictEqual([...reasons].filter((r) => r !== "invalid_envelope" && r !== "invalid_payload"), [])
      assert.isAbove(dead.length, 5000)
      // Nothing the API accepted was dead-lettered: it checks what the worker checks.
      assert.deepStrictEqual(dead.filter((d) => accepted.has(Number(d.source_msg_id))), [])
      // The ordinary jobs among them: each one's effect exactly once.
      const effects = yield* sql<{ readonly n: number }>`
        SELECT count(*)::int AS n FROM workers.probe_effects
        WHERE org_id = ${ORG} AND idempotency_key = ANY(${canaries.map((c) => c.idempotency_key as string)})
        GROUP BY idempotency_key`
      assert.deepStrictEqual([effects.length, effects.every((e) => e.n === 1)], [500, true])

      // And the worker is still working.
      const last = envelope({ action: "record" }, randomUUID())
      yield* pgmq.send(PROBE_QUEUE, last)
      while ((yield* count(`SELECT count(*) AS n FROM workers.probe_effects WHERE idempotency_key = '${last.idempotency_key}'`)) === 0) {
        assert.isBelow(Date.now(), deadline + 60_000, "the worker stopped taking jobs")
        yield* Effect.sleep("100 millis")
      }
    }).pipe(
      Effect.scoped,
      Effect.provide(Layer.mergeAll(ApiTest.layer(), recordedAlerts)),
      // Twenty thousand requests and dead letters: their log lines would be most of the run's time.
      Effect.provide(Logger.minimumLogLevel(LogLevel.Fatal))
    ), 600_000)

  it.live("a message nested thousands of levels deep is dead-lettered, saying where it is kept, and is not replayed", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const pgmq = yield* PgmqQueue
      yield* Layer.build(probeWorker())
      // Written as text: JSON.stringify itself overflows its stack on this.
      const deep = `{"org_id":"not-an-org","payload":${"[".repeat(5000)}${"]".repeat(5000)}}`
      const [sent] = yield* sql<{ readonly msg_id: string }>`SELECT pgmq.send('probe_main', ${deep}::jsonb)::text AS msg_id`
      const msgId = sent!.msg_id
      const after = envelope({ action: "record" }, randomUUID())
      yield* pgmq.send(PROBE_QUEUE, after)
      const deadline = Date.now() + 60_000
      while ((yield* count(`SELECT count(*) AS n FROM pgmq.q_dead_letter`)) === 0 ||
        (yield* count(`SELECT count(*) AS n FROM workers.probe_effects WHERE idempotency_key = '${after.idempotency_key}'`)) === 0) {
        assert.isBelow(Date.now(), deadline, "the deep message or the job after it was not settled")
        yield* Effect.sleep("100 millis")
      }
      const [dead] = yield* sql<{ readonly id: number; readonly reason: string; readonly original: Record<string, string> }>`
        SELECT msg_id::int AS id, message->>'reason' AS reason, message->'original' AS original FROM pgmq.q_dead_letter`
      assert.strictEqual(dead!.reason, "invalid_envelope")
      assert.strictEqual(
        dead!.original["original_too_deep"],
        `nested deeper than 64 levels: kept as sent in pgmq.a_probe_main, msg_id ${msgId}`
      )
      assert.strictEqual(yield* count(`SELECT count(*) AS n FROM pgmq.a_probe_main WHERE msg_id = ${msgId}`), 1)
      const replay = yield* raw(`/v1/dead-letters/${dead!.id}/replay`, {
        method: "POST",
        headers: authorized({ "content-type": "application/json" }),
        body: JSON.stringify({ replayed_by: "ops@dragonfly.law", reason: "try" })
      })
      assert.deepStrictEqual([replay.status, replay.json._tag], [409, "Conflict"])
      assert.include(replay.json.message, "its original was not copied")
    }).pipe(Effect.scoped, Effect.provide(Layer.mergeAll(ApiTest.layer(), recordedAlerts))), 120_000)
})
