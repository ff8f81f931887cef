import { Effect } from "effect"
import type { DeadLetterRecord } from "../../src/deadletter/DeadLetter.js"
import { DEAD_LETTER_QUEUE } from "../../src/queue/catalog.js"
import { PgmqQueue } from "../../src/queue/PgmqQueue.js"
import { envelope } from "./runtime.js"

/** A dead-letter record as the runtime writes it, of a probe job. */
export const record = (overrides: Partial<DeadLetterRecord> = {}): DeadLetterRecord => {
  const original = envelope({ action: "record" })
  return {
    source_queue: "probe_main",
    source_msg_id: 1,
    read_ct: 3,
    enqueued_at: "2026-11-28T10:00:00.000Z",
    reason: "max_attempts_exceeded",
    error: { tag: "Retryable", message: "upstream down" },
    job_id: original.job_id ?? null,
    trace_id: original.trace_id ?? null,
    worker_id: "probe-host-1",
    dead_lettered_at: "2026-11-28T10:05:00.000Z",
    original,
    ...overrides
  }
}

/** Puts a dead letter in `pgmq.q_dead_letter`. */
export const deadLetter = (overrides: Partial<DeadLetterRecord> = {}) =>
  Effect.flatMap(PgmqQueue, (pgmq) => {
    const value = record(overrides)
    return Effect.map(pgmq.send(DEAD_LETTER_QUEUE, value), (id) => ({ id: id as number, record: value }))
  })

