import { SqlError } from "@effect/sql/SqlError"
import { Clock, Deferred, Effect, Exit, FiberId, Layer, Option, Ref } from "effect"
import { type MessageFilter, type MessageId, PgmqQueue, pollByReading, QueueInfo, QueueMessage, QueueMetrics } from "./PgmqQueue.js"
import type { QueueName } from "./QueueName.js"

interface StoredMessage {
  readonly msgId: MessageId
  readonly readCt: number
  readonly enqueuedAt: number
  readonly vt: number
  readonly message: unknown
}

interface MemoryQueue {
  readonly createdAt: number
  readonly lastId: number
  readonly messages: ReadonlyArray<StoredMessage>
}

const toMessage = (stored: StoredMessage) =>
  new QueueMessage({
    msgId: stored.msgId,
    readCt: stored.readCt,
    enqueuedAt: new Date(stored.enqueuedAt),
    vt: new Date(stored.vt),
    message: stored.message
  })

const isContained = (pattern: unknown, value: unknown): boolean => {
  if (typeof pattern !== "object" || pattern === null) return pattern === value
  if (typeof value !== "object" || value === null) return false
  return Object.entries(pattern).every(([key, inner]) => isContained(inner, (value as Record<string, unknown>)[key]))
}

/** `MessageFilter` applied in memory (locks are meaningless here; there is no archive). */
const matching = (messages: ReadonlyArray<StoredMessage>, filter: MessageFilter, withCursor = true) => {
  const ids = filter.msgIds === undefined ? undefined : new Set<number>(filter.msgIds)
  const selected = messages.filter((m) =>
    (ids === undefined || ids.has(m.msgId)) &&
    (filter.contains === undefined || isContained(filter.contains, m.message)) &&
    (filter.enqueuedFrom === undefined || m.enqueuedAt >= filter.enqueuedFrom.getTime()) &&
    (filter.enqueuedBefore === undefined || m.enqueuedAt < filter.enqueuedBefore.getTime()) &&
    (!withCursor || filter.after === undefined ||
      (filter.newestFirst === true ? m.msgId < filter.after : m.msgId > filter.after))
  )
  const ordered = filter.newestFirst === true ? [...selected].reverse() : selected
  return filter.limit === undefined ? ordered : ordered.slice(0, filter.limit)
}

const missing = (queue: string) => new SqlError({ message: `queue "${queue}" does not exist` })

/**
 * PgmqQueue in memory, for unit tests of code above the queue: the contract's semantics
 * (visibility timeout, read_ct, lowest id first, archive, metrics) on the Effect Clock, so
 * TestClock drives visibility. Messages round-trip through JSON as they would through jsonb.
 */
export const layerMemory: Layer.Layer<PgmqQueue> = Layer.effect(
  PgmqQueue,
  Effect.gen(function*() {
    const queues = yield* Ref.make(new Map<string, MemoryQueue>())
    /** Completed by the next send (then replaced), for `awaitMessages`. */
    let sent = Deferred.unsafeMake<void>(FiberId.none)
    const signalSend = Effect.sync(() => {
      const done = sent
      sent = Deferred.unsafeMake<void>(FiberId.none)
      Deferred.unsafeDone(done, Exit.void)
    })

    const update = <A>(queue: QueueName, f: (state: MemoryQueue, now: number) => readonly [A, MemoryQueue]) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(queues, (all): readonly [Option.Option<A>, Map<string, MemoryQueue>] => {
          const state = all.get(queue)
          if (state === undefined) return [Option.none(), all]
          const [result, next] = f(state, now)
          return [Option.some(result), new Map(all).set(queue, next)]
        })).pipe(Effect.flatMap(Option.match({ onNone: () => Effect.fail(missing(queue)), onSome: Effect.succeed })))

    const sendBatch = (queue: QueueName, batch: ReadonlyArray<unknown>, options?: { readonly delaySeconds?: number }) =>
      update(queue, (state, now) => {
        const added = batch.map((message, index): StoredMessage => ({
          msgId: (state.lastId + index + 1) as MessageId,
          readCt: 0,
          enqueuedAt: now,
          vt: now + (options?.delaySeconds ?? 0) * 1000,
          message: JSON.parse(JSON.stringify(message))
        }))
        return [added.map((m) => m.msgId), {
          ...state,
          lastId: state.lastId + batch.length,
          messages: [...state.messages, ...added]
        }]
      }).pipe(Effect.tap(() => signalSend))

    const read = (queue: QueueName, options: { readonly visibilityTimeout: number; readonly quantity: number }) =>
      update(queue, (state, now) => {
        const taken = new Set(
          state.messages.filter((m) => m.vt <= now).slice(0, options.quantity).map((m) => m.msgId)
        )
        const messages = state.messages.map((m) =>
          taken.has(m.msgId) ? { ...m, readCt: m.readCt + 1, vt: now + options.visibilityTimeout * 1000 } : m
        )
        return [messages.filter((m) => taken.has(m.msgId)).map(toMessage), { ...state, messages }]
      })

    /** Delete and archive look alike from here: the archive table is not part of this service. */
    const remove = (queue: QueueName, msgIds: ReadonlyArray<MessageId>) =>
      update(queue, (state) => {
        const wanted = new Set(msgIds)
        const removed = state.messages.filter((m) => wanted.has(m.msgId))
        return [removed.map((m) => m.msgId), { ...state, messages: state.messages.filter((m) => !wanted.has(m.msgId)) }]
      })

    const metricsOf = (name: string, state: MemoryQueue, now: number) => {
      const ages = state.messages.map((m) => Math.floor((now - m.enqueuedAt) / 1000))
      return new QueueMetrics({
        queueName: name,
        queueLength: state.messages.length,
        newestMsgAgeSec: ages.length === 0 ? null : Math.min(...ages),
        oldestMsgAgeSec: ages.length === 0 ? null : Math.max(...ages),
        totalMessages: state.lastId,
        scrapeTime: new Date(now)
      })
    }

    return PgmqQueue.make({
      send: (queue, message, options) => Effect.map(sendBatch(queue, [message], options), (ids) => ids[0]!),
      sendBatch,
      read,
      /** No ledger in memory: nothing is ever completed before. */
      readWithLedger: (queue, options) =>
        Effect.map(read(queue, options), (messages) => messages.map((message) => ({ message, completed: false }))),
      readWithPoll: (queue, options) => pollByReading(read, queue, options),
      /** Sends and visibility are both seen the moment they happen (the server's probes are close to it). */
      awaitMessages: (awaited, seen, options) =>
        Effect.gen(function*() {
          const deadline = (yield* Clock.currentTimeMillis) + options.maxWaitMs
          while (true) {
            const nextSend = sent
            const now = yield* Clock.currentTimeMillis
            const states = yield* Ref.get(queues)
            const current = awaited.map((queue) => String(states.get(queue)?.lastId ?? 0))
            const vts = awaited.flatMap((queue) => states.get(queue)?.messages.map((m) => m.vt) ?? [])
            const moved = seen === undefined || current.some((value, i) => value !== seen[i])
            if (moved || vts.some((vt) => vt <= now) || now >= deadline) return current
            const wakeAt = Math.min(deadline, ...vts)
            yield* Effect.raceFirst(Deferred.await(nextSend), Effect.sleep(wakeAt - now))
          }
        }),
      delete: (queue, msgId) => Effect.map(remove(queue, [msgId]), (ids) => ids.length === 1),
      deleteBatch: (queue, msgIds) => remove(queue, msgIds),
      archive: (queue, msgId) => Effect.map(remove(queue, [msgId]), (ids) => ids.length === 1),
      archiveBatch: (queue, msgIds) => remove(queue, msgIds),
      setVt: (queue, msgId, seconds) =>
        update(queue, (state, now) => {
          const messages = state.messages.map((m) => (m.msgId === msgId ? { ...m, vt: now + seconds * 1000 } : m))
          return [Option.map(Option.fromNullable(messages.find((m) => m.msgId === msgId)), toMessage), {
            ...state,
            messages
          }]
        }),
      metrics: (queue) => update(queue, (state, now) => [metricsOf(queue, state, now), state]),
      metricsAll: () =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.map(Ref.get(queues), (all) =>
            [...all].sort(([a], [b]) => a.localeCompare(b)).map(([name, state]) => metricsOf(name, state, now)))),
      listQueues: () =>
        Effect.map(Ref.get(queues), (all) =>
          [...all].sort(([a], [b]) => a.localeCompare(b)).map(([name, state]) =>
            new QueueInfo({ queueName: name, isPartitioned: false, isUnlogged: false, createdAt: new Date(state.createdAt) })
          )),
      create: (queue) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.update(queues, (all) =>
            all.has(queue)
              ? all
              : new Map(all).set(queue, { createdAt: now, lastId: 0, messages: [] }))),
      purge: (queue) =>
        update(queue, (state) => [state.messages.length, { ...state, messages: [] }]),
      lockDeliveries: (queue, msgIds) =>
        update(queue, (state) => {
          const wanted = new Set(msgIds)
          return [new Map(state.messages.filter((m) => wanted.has(m.msgId)).map((m) => [m.msgId, m.readCt])), state]
        }),
      setVtIfDelivery: (queue, msgId, readCt, seconds) =>
        update(queue, (state, now) => {
          const found = state.messages.some((m) => m.msgId === msgId && m.readCt === readCt)
          const messages = state.messages.map((m) =>
            m.msgId === msgId && m.readCt === readCt ? { ...m, vt: now + seconds * 1000 } : m
          )
          return [found, { ...state, messages }]
        }),
      extendLeases: (queue, leases, seconds) =>
        update(queue, (state, now) => {
          const wanted = new Map(leases.map((l) => [l.msgId as number, l.readCt]))
          const present = state.messages.filter((m) => wanted.has(m.msgId))
          const ours = new Set(present.filter((m) => wanted.get(m.msgId) === m.readCt).map((m) => m.msgId))
          const messages = state.messages.map((m) => (ours.has(m.msgId) ? { ...m, vt: now + seconds * 1000 } : m))
          return [{
            extended: present.filter((m) => ours.has(m.msgId)).map((m) => m.msgId),
            lost: present.filter((m) => !ours.has(m.msgId)).map((m) => m.msgId)
          }, { ...state, messages }]
        }),
      peek: (queue, limit) => update(queue, (state) => [state.messages.slice(0, limit).map(toMessage), state]),
      find: (queue, filter = {}) => update(queue, (state) => [matching(state.messages, filter).map(toMessage), state]),
      findArchived: (queue) => update(queue, (state) => [[], state]),
      count: (queue, filter = {}) =>
        update(queue, (state) => [matching(state.messages, { ...filter, limit: Infinity }, false).length, state]),
      drop: (queue) =>
        Ref.modify(queues, (all) => {
          if (!all.has(queue)) return [false, all]
          const next = new Map(all)
          next.delete(queue)
          return [true, next]
        })
    })
  })
)
