import { Effect, Ref, type Scope } from "effect"
import * as Http from "node:http"

export interface RecordedPost {
  readonly path: string
  readonly body: { readonly embeds?: ReadonlyArray<{ readonly title?: string; readonly fields?: ReadonlyArray<{ readonly name: string; readonly value: string }> }> }
}

export interface WebhookServer {
  readonly url: string
  readonly posts: Ref.Ref<ReadonlyArray<RecordedPost>>
}

/** A webhook receiver on 127.0.0.1 that records every POST and answers `status` (204: accepted). */
export const webhookServerAnswering = (status: number): Effect.Effect<WebhookServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const posts = yield* Ref.make<ReadonlyArray<RecordedPost>>([])
    const server = yield* Effect.acquireRelease(
      Effect.async<Http.Server>((resume) => {
        const server = Http.createServer((request, response) => {
          let body = ""
          request.on("data", (chunk) => (body += chunk))
          request.on("end", () => {
            Effect.runSync(Ref.update(posts, (all) => [...all, { path: request.url ?? "", body: JSON.parse(body || "{}") }]))
            const answer = status === 204 ? undefined : JSON.stringify({ message: "Unknown Webhook", code: 10015 })
            response.writeHead(status, { "content-type": "application/json" }).end(answer)
          })
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
    )
    const { port } = server.address() as { port: number }
    return { url: `http://127.0.0.1:${port}/api/webhooks/123/secret-token`, posts }
  })

/** A webhook receiver that accepts every post. */
export const webhookServer = webhookServerAnswering(204)
