import { Effect, Layer, Option, Redacted } from "effect"
import * as Http from "node:http"
import { timingSafeEqual } from "node:crypto"
import { WorkerConfig } from "../config/WorkerConfig.js"
import { isAddressInUse, PortInUse } from "../dev/ports.js"
import * as Prometheus from "./Prometheus.js"

const sameSecret = (given: string, expected: string) => {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

const listen = (server: Http.Server, port: number, host: string) =>
  Effect.async<void, NodeJS.ErrnoException>((resume) => {
    const failed = (error: NodeJS.ErrnoException) => resume(Effect.fail(error))
    server.once("error", failed)
    server.listen(port, host, () => {
      server.off("error", failed)
      resume(Effect.void)
    })
  })

/**
 * A worker's GET /metrics on METRICS_PORT (nothing when it is not set), on every interface (IPv6
 * too: Railway's private network is IPv6), answering only the bearer METRICS_TOKEN when set.
 */
export const layer: Layer.Layer<never, PortInUse, WorkerConfig> = Layer.scopedDiscard(
  Effect.gen(function*() {
    const config = yield* WorkerConfig
    if (Option.isNone(config.metricsPort)) return
    const port = config.metricsPort.value
    const token = Option.map(config.metricsToken, Redacted.value)
    const server = Http.createServer((request, response) => {
      const path = (request.url ?? "/").split("?")[0]
      if (request.method !== "GET" || path !== "/metrics") {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found: GET /metrics\n")
        return
      }
      const authorization = request.headers.authorization ?? ""
      if (Option.isSome(token) && !sameSecret(authorization, `Bearer ${token.value}`)) {
        response.writeHead(401, { "content-type": "text/plain", "www-authenticate": "Bearer" })
          .end("unauthorized: send Authorization: Bearer <METRICS_TOKEN>\n")
        return
      }
      response.writeHead(200, { "content-type": Prometheus.CONTENT_TYPE }).end(Prometheus.render())
    })
    yield* Effect.acquireRelease(
      listen(server, port, "::").pipe(
        // A host without IPv6.
        Effect.catchIf((error) => error.code === "EAFNOSUPPORT", () => listen(server, port, "0.0.0.0"))
      ),
      () => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
    ).pipe(
      Effect.catchAll((error) =>
        isAddressInUse(error)
          ? Effect.fail(new PortInUse({ port, setting: "METRICS_PORT" }))
          : Effect.dieMessage(`cannot serve metrics on METRICS_PORT ${port}: ${error.message}`)
      )
    )
    server.unref()
    yield* Effect.logInfo(`metrics on port ${port}: GET /metrics`)
  })
)
