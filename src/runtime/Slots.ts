import { Clock, Duration, Effect, Queue, Ref } from "effect"

export interface Slots {
  /**
   * Waits for free slots and takes up to `batch` of them. While jobs are still running it waits
   * (at most the gather window) until a whole batch is free, so that reads stay batched under
   * load instead of degenerating to one message per read as jobs finish one by one.
   */
  readonly acquire: Effect.Effect<number>
  readonly release: (count: number) => Effect.Effect<void>
  /**
   * A job's handler is done and it only waits for its acknowledgement: its slot is free for the
   * next read (so reading overlaps committing), but at most `capacity` jobs may wait like this.
   */
  readonly handOff: Effect.Effect<void>
  /** The job handed off before has been acknowledged. */
  readonly settled: Effect.Effect<void>
}

export const make = (capacity: number, batch: number, gather: Duration.DurationInput) =>
  Effect.gen(function*() {
    const free = yield* Ref.make(capacity)
    const settling = yield* Ref.make(0)
    const changed = yield* Queue.sliding<void>(1)
    const target = Math.min(batch, capacity)
    const gatherMillis = Duration.toMillis(gather)
    const wake = Queue.offer(changed, undefined)

    const release = (count: number) => count === 0 ? Effect.void : Ref.update(free, (n) => n + count).pipe(Effect.zipRight(wake))

    // One caller at a time (the poller): between reading and taking, `free` can only grow.
    const acquire = Effect.gen(function*() {
      let deadline: number | undefined
      while (true) {
        const available = (yield* Ref.get(settling)) >= capacity ? 0 : yield* Ref.get(free)
        const now = yield* Clock.currentTimeMillis
        if (available > 0 && deadline === undefined) deadline = now + gatherMillis
        if (available >= target || (available > 0 && (available === capacity || now >= deadline!))) {
          const taken = Math.min(available, batch)
          yield* Ref.update(free, (n) => n - taken)
          return taken
        }
        yield* available === 0
          ? Queue.take(changed)
          : Queue.take(changed).pipe(Effect.timeout(Duration.millis(deadline! - now)), Effect.ignore)
      }
    })

    return {
      acquire,
      release,
      handOff: Effect.zipRight(Ref.update(settling, (n) => n + 1), release(1)),
      settled: Effect.zipRight(Ref.update(settling, (n) => n - 1), wake)
    } satisfies Slots
  })
