import { Effect } from "effect"
import * as Http from "node:http"
import { acceptsConnections, anyFreePort } from "../../src/dev/ports.js"

export { acceptsConnections }

/** A port nothing listens on: bound, then released. */
export const closedPort = Effect.orDie(anyFreePort)

/**
 * An HTTP server on 127.0.0.1 and an ephemeral port for the test's scope; closing it drops the
 * connections still open (a stalled response must not hold the test up).
 */
export const localHttpServer = (handle: Http.RequestListener) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.async<Http.Server>((resume) => {
        const server = Http.createServer(handle)
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    ),
    (server) => (server.address() as { port: number }).port
  )
