import { Effect, Ref, type Scope } from "effect"
import * as Http from "node:http"

export interface RecordedPost {
  readonly path: string
  readonly body: { readonly embeds?: ReadonlyArray<{ readonly title?: string; readonly fields?: ReadonlyArray<{ readonly name: string; readonly value: string }> }> }
}

/** A webhook receiver on 127.0.0.1 that records every POST and answers 204. */
export const webhookServer: Effect.Effect<{ readonly url: string; readonly posts: Ref.Ref<ReadonlyArray<RecordedPost>> }, never, Scope.Scope> =
  Effect.gen(function*() {
    const posts = yield* Ref.make<ReadonlyArray<RecordedPost>>([])
    const server = yield* Effect.acquireRelease(
      Effect.async<Http.Server>((resume) => {
        const server = Http.createServer((request, response) => {
          let body = ""
          request.on("data", (chunk) => (body += chunk))
          request.on("end", () => {
            Effect.runSync(Ref.update(posts, (all) => [...all, { path: request.url ?? "", body: JSON.parse(body || "{}") }]))
            response.writeHead(204).end()
          })
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
    )
    const { port } = server.address() as { port: number }
    return { url: `http://127.0.0.1:${port}/api/webhooks/123/secret-token`, posts }
  })
