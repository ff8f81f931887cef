import { Clock, Duration, Effect, Queue, Ref } from "effect"

export interface Slots {
  /**
   * Waits for free slots and takes up to `batch` of them. While jobs are still running it waits
   * (at most the gather window) until a whole batch is free, so that reads stay batched under
   * load instead of degenerating to one message per read as jobs finish one by one.
   */
  readonly acquire: Effect.Effect<number>
  readonly release: (count: number) => Effect.Effect<void>
}

export const make = (capacity: number, batch: number, gather: Duration.DurationInput) =>
  Effect.gen(function*() {
    const free = yield* Ref.make(capacity)
    const freed = yield* Queue.sliding<void>(1)
    const target = Math.min(batch, capacity)
    const gatherMillis = Duration.toMillis(gather)

    const release = (count: number) =>
      count === 0 ? Effect.void : Ref.update(free, (n) => n + count).pipe(Effect.zipRight(Queue.offer(freed, undefined)))

    // One caller at a time (the poller): `free` only grows between reading and taking.
    const acquire = Effect.gen(function*() {
      let deadline: number | undefined
      while (true) {
        const available = yield* Ref.get(free)
        const now = yield* Clock.currentTimeMillis
        if (available > 0 && deadline === undefined) deadline = now + gatherMillis
        if (available >= target || (available > 0 && (available === capacity || now >= deadline!))) {
          const taken = Math.min(available, batch)
          yield* Ref.update(free, (n) => n - taken)
          return taken
        }
        yield* available === 0
          ? Queue.take(freed)
          : Queue.take(freed).pipe(Effect.timeout(Duration.millis(deadline! - now)), Effect.ignore)
      }
    })

    return { acquire, release } satisfies Slots
  })
