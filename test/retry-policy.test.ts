import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Ref, TestClock } from "effect"
import { Retryable } from "../src/runtime/errors.js"
import { redeliveryDelaySeconds, redeliverySchedule } from "../src/runtime/retryPolicy.js"

describe("redelivery schedule", () => {
  it.effect("doubles from 2 s with ±20 % jitter and caps at 10 minutes", () =>
    Effect.gen(function*() {
      for (let attempt = 1; attempt <= 12; attempt++) {
        const base = Math.min(2 * 2 ** (attempt - 1), 600)
        for (let sample = 0; sample < 20; sample++) {
          const delay = yield* redeliveryDelaySeconds(attempt)
          assert.isAtLeast(delay, attempt >= 10 ? 600 : Math.floor(base * 0.8), `attempt ${attempt}`)
          assert.isAtMost(delay, Math.min(Math.ceil(base * 1.2), 600), `attempt ${attempt}`)
        }
      }
    }))

  it.effect("retryable, then success: attempts happen only when the schedule's delays have passed (TestClock)", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const job = Ref.updateAndGet(attempts, (n) => n + 1).pipe(
        Effect.flatMap((n) => n < 3 ? Effect.fail(new Retryable({ message: `attempt ${n}` })) : Effect.succeed(n))
      )
      const fiber = yield* job.pipe(Effect.retry(redeliverySchedule), Effect.fork)
      yield* TestClock.adjust("1500 millis")
      assert.strictEqual(yield* Ref.get(attempts), 1, "first retry not before 1.6 s")
      yield* TestClock.adjust("1000 millis")
      assert.strictEqual(yield* Ref.get(attempts), 2, "first retry by 2.4 s")
      // the second retry comes 3.2–4.8 s after the first (1.6–2.4 s): between 4.8 s and 7.2 s
      yield* TestClock.adjust("2200 millis")
      assert.strictEqual(yield* Ref.get(attempts), 2, "second retry not before 4.8 s")
      yield* TestClock.adjust("2600 millis")
      assert.strictEqual(yield* Fiber.join(fiber), 3)
    }))
})
