import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Ref, type Scope } from "effect"
import * as Http from "node:http"
import { PgmqQueue } from "../src/queue/PgmqQueue.js"
import { count, deadLetters, envelope, eventually, ORG, recordedAlerts, send, serviceWorker } from "./support/runtime.js"
import * as TestDatabase from "./support/TestDatabase.js"

/** The probe's external side effect (`call_external`), the chaos suite's HTTP variant, against a real local peer. */

interface ExternalCall {
  readonly idempotencyKey: string | undefined
  readonly body: { readonly job_id?: string | null | undefined; readonly delivery?: number }
}

/** An HTTP peer on 127.0.0.1 that records every call and answers the next status of `answers` (204 once they run out). */
const externalPeer = (answers: ReadonlyArray<number> = []): Effect.Effect<
  { readonly url: URL; readonly calls: Ref.Ref<ReadonlyArray<ExternalCall>> },
  never,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const calls = yield* Ref.make<ReadonlyArray<ExternalCall>>([])
    const pending = [...answers]
    const server = yield* Effect.acquireRelease(
      Effect.async<Http.Server>((resume) => {
        const server = Http.createServer((request, response) => {
          let body = ""
          request.on("data", (chunk) => (body += chunk))
          request.on("end", () => {
            const key = request.headers["idempotency-key"]
            Effect.runSync(Ref.update(calls, (all) => [...all, { idempotencyKey: typeof key === "string" ? key : undefined, body: JSON.parse(body) }]))
            response.writeHead(pending.shift() ?? 204).end()
          })
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
    )
    const { port } = server.address() as { port: number }
    return { url: new URL(`http://127.0.0.1:${port}/effects`), calls }
  })

const withDatabase = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provide(Effect.scoped(self), Layer.mergeAll(PgmqQueue.Default, recordedAlerts).pipe(Layer.provideMerge(TestDatabase.layer())))

const effects = (key: string) => count(`SELECT count(*) AS n FROM workers.probe_effects WHERE idempotency_key = '${key}'`)
const archived = (msgId: number) => count(`SELECT count(*) AS n FROM pgmq.a_probe_main WHERE msg_id = ${msgId}`)

describe("probe external side effect", () => {
  it.live("POSTs the job id and delivery once, keyed by org and idempotency key, before its writes commit", () =>
    withDatabase(Effect.gen(function*() {
      const peer = yield* externalPeer()
      yield* Layer.build(serviceWorker("probe", {}, {}, { probeExternalUrl: peer.url }))
      const wire = envelope({ action: "record", call_external: true }, "k-external")
      const msgId = yield* send(wire)
      yield* eventually(Effect.map(archived(msgId), (n) => n === 1))
      assert.deepStrictEqual(yield* Ref.get(peer.calls), [
        { idempotencyKey: `${ORG}/k-external`, body: { job_id: wire.job_id, delivery: 1 } }
      ])
      assert.strictEqual(yield* effects("k-external"), 1)
    })))

  it.live("a peer that fails is retried with the same key, and the job's writes land once", () =>
    withDatabase(Effect.gen(function*() {
      const peer = yield* externalPeer([503])
      yield* Layer.build(serviceWorker("probe", {}, {}, { probeExternalUrl: peer.url }))
      const msgId = yield* send(envelope({ action: "record", call_external: true }, "k-external-retry"))
      yield* eventually(Effect.map(archived(msgId), (n) => n === 1), "30 seconds")
      const calls = yield* Ref.get(peer.calls)
      assert.deepStrictEqual(calls.map((call) => [call.idempotencyKey, call.body.delivery]), [
        [`${ORG}/k-external-retry`, 1],
        [`${ORG}/k-external-retry`, 2]
      ])
      assert.strictEqual(yield* effects("k-external-retry"), 1)
      assert.deepStrictEqual(yield* deadLetters, [])
    })))

  it.live("without PROBE_EXTERNAL_URL the job is dead-lettered as a permanent failure, with no effect", () =>
    withDatabase(Effect.gen(function*() {
      yield* Layer.build(serviceWorker("probe"))
      yield* send(envelope({ action: "record", call_external: true }, "k-no-external"))
      yield* eventually(Effect.map(deadLetters, (rows) => rows.length === 1))
      const [dead] = yield* deadLetters
      assert.strictEqual(dead!.reason, "permanent_failure")
      assert.include(dead!.error.message, "PROBE_EXTERNAL_URL")
      assert.strictEqual(yield* effects("k-no-external"), 0)
    })))
})
