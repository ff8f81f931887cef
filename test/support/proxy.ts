import { Effect, Redacted, type Scope } from "effect"
import { createConnection, createServer, type Socket } from "node:net"

/**
 * What happens to the connection on which the client next sends `COMMIT`:
 * - `drop`: the COMMIT never reaches the server; both sides are cut (the server rolls back);
 * - `lose-answer`: the server gets the COMMIT, the client's side is cut before the answer (it commits,
 *   the client cannot know);
 * - `stall`: nothing more passes either way, the sockets stay open (a network that stops answering).
 */
export type CommitFault = "drop" | "lose-answer" | "stall"

export interface PostgresProxy {
  /** `url` with its host and port replaced by the proxy's. */
  readonly through: (url: Redacted.Redacted<string>) => Redacted.Redacted<string>
  /** Arms a fault for the next COMMIT seen on any connection (once). */
  readonly onNextCommit: (fault: CommitFault) => Effect.Effect<void>
  /** How many faults have been injected so far. */
  readonly injected: () => number
}

// A simple-protocol Query message ('Q', length, text, NUL) whose text is COMMIT, as node-postgres
// sends it for a statement without parameters.
const COMMIT = Buffer.concat([Buffer.from("Q"), Buffer.from([0, 0, 0, 11]), Buffer.from("COMMIT\0")])

/**
 * A TCP proxy in front of a Postgres server on 127.0.0.1, for as long as the scope lasts, that can
 * break a connection exactly at a COMMIT.
 */
export const postgresProxy = (target: Redacted.Redacted<string>): Effect.Effect<PostgresProxy, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly proxy: PostgresProxy; readonly close: () => void }>((resume) => {
      const upstream = new URL(Redacted.value(target))
      const sockets = new Set<Socket>()
      let armed: CommitFault | undefined
      let injected = 0

      const server = createServer((client) => {
        const backend = createConnection({ host: upstream.hostname, port: Number(upstream.port || 5432) })
        sockets.add(client).add(backend)
        let stalled = false
        let losingAnswer = false
        const cut = () => {
          client.destroy()
          backend.destroy()
        }
        client.on("data", (chunk: Buffer) => {
          if (stalled) return
          if (armed !== undefined && chunk.includes(COMMIT)) {
            const fault = armed
            armed = undefined
            injected++
            if (fault === "drop") return cut()
            if (fault === "stall") {
              stalled = true
              return
            }
            losingAnswer = true
            backend.end(chunk)
            client.destroy()
            return
          }
          backend.write(chunk)
        })
        backend.on("data", (chunk: Buffer) => {
          if (!stalled && !losingAnswer) client.write(chunk)
        })
        // A stalled connection still passes on a close, as a dead network would not; tests rely on
        // the server ending the session by itself.
        client.on("close", () => {
          sockets.delete(client)
          backend.destroy()
        })
        backend.on("close", () => {
          sockets.delete(backend)
          client.destroy()
        })
        client.on("error", () => undefined)
        backend.on("error", () => undefined)
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed({
          proxy: {
            through: (url) => {
              const parsed = new URL(Redacted.value(url))
              parsed.hostname = "127.0.0.1"
              parsed.port = String(port)
              return Redacted.make(parsed.toString())
            },
            onNextCommit: (fault) =>
              Effect.sync(() => {
                armed = fault
              }),
            injected: () => injected
          },
          close: () => {
            server.close()
            for (const socket of sockets) socket.destroy()
          }
        }))
      })
    }),
    ({ close }) => Effect.sync(close)
  ).pipe(Effect.map(({ proxy }) => proxy))
