import { Effect, type Scope } from "effect"
import { createServer } from "node:http"

/**
 * The third-party API of the chaos suite: it takes the probe's external calls and counts them per
 * `Idempotency-Key`. A peer that honours the key applies each once (what the key buys); one that
 * does not applies every call (the duplicates at-least-once delivery makes).
 */
export interface ExternalPeer {
  readonly url: string
  /** Calls received per key. */
  readonly calls: () => ReadonlyMap<string, number>
}

export const make: Effect.Effect<ExternalPeer, never, Scope.Scope> = Effect.acquireRelease(
  Effect.async<{ readonly peer: ExternalPeer; readonly close: () => void }>((resume) => {
    const calls = new Map<string, number>()
    const server = createServer((request, response) => {
      const key = request.headers["idempotency-key"]
      request.resume()
      request.on("end", () => {
        if (typeof key !== "string" || key === "") {
          response.writeHead(400).end("Idempotency-Key required")
          return
        }
        const seen = calls.get(key) ?? 0
        calls.set(key, seen + 1)
        response.writeHead(seen === 0 ? 201 : 200, { "content-type": "application/json" })
          .end(JSON.stringify({ applied: seen === 0 }))
      })
    })
    server.keepAliveTimeout = 30_000
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resume(Effect.succeed({
        peer: { url: `http://127.0.0.1:${port}/effects`, calls: () => calls },
        close: () => {
          server.closeAllConnections()
          server.close()
        }
      }))
    })
  }),
  ({ close }) => Effect.sync(close)
).pipe(Effect.map(({ peer }) => peer))
