import { Deferred, Effect, Exit, Ref, type Scope } from "effect"
import * as Http from "node:http"
import { localHttpServer } from "./net.js"

/** Answers 500. */
export const FAILING_PATH = "special/failing.csv"
/** Answers 200 with a few bytes of a longer body, then sends nothing more. */
export const STALLING_PATH = "special/stalling.csv"
/** Answers 200 with a few bytes of a longer body, then destroys the socket. */
export const BROKEN_PATH = "special/broken.csv"
/** Never answers. */
export const SILENT_PATH = "special/silent.csv"
/** The bytes STALLING_PATH and BROKEN_PATH send before misbehaving. */
export const FIRST_BYTES = Buffer.from("case_number,debtor_name\r\nCV-1,Smith\r\n")

export interface StorageRequest {
  readonly method: string
  /** The request target as sent, still percent-encoded. */
  readonly rawPath: string
  readonly authorized: boolean
}

export interface StorageServerOptions {
  readonly key: string
  readonly bucket: string
  /** Object path (decoded) to content. */
  readonly objects: Readonly<Record<string, Uint8Array>>
  /** 400 answers a missing object as some Supabase Storage versions do: HTTP 400 with a not_found body. */
  readonly notFoundStatus?: 404 | 400
}

export interface StorageServer {
  readonly url: URL
  readonly requests: Ref.Ref<ReadonlyArray<StorageRequest>>
  /** Done when the client closes the connection of a STALLING_PATH response. */
  readonly stallAbandoned: Deferred.Deferred<void>
}

const PREFIX = "/storage/v1/object/"

/** Imitates Supabase Storage's `GET /storage/v1/object/{bucket}/{path}` on 127.0.0.1. */
export const storageServer = (options: StorageServerOptions): Effect.Effect<StorageServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const requests = yield* Ref.make<ReadonlyArray<StorageRequest>>([])
    const stallAbandoned = yield* Deferred.make<void>()

    const handle = (request: Http.IncomingMessage, response: Http.ServerResponse) => {
      const rawPath = request.url ?? ""
      const authorized = request.headers.authorization === `Bearer ${options.key}` &&
        request.headers.apikey === options.key
      Effect.runSync(Ref.update(requests, (all) => [...all, { method: request.method ?? "", rawPath, authorized }]))

      const json = (status: number, body: unknown) =>
        response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
      const notFound = () =>
        options.notFoundStatus === 400
          ? json(400, { statusCode: "404", error: "not_found", message: "Object not found" })
          : json(404, { statusCode: "404", error: "not_found", message: "Object not found" })
      const partial = () => response.writeHead(200, { "content-type": "text/csv", "content-length": 10_000 })

      if (!authorized) return json(403, { statusCode: "403", error: "Unauthorized", message: "invalid signature" })
      if (!rawPath.startsWith(PREFIX)) return notFound()
      const [bucket, ...segments] = rawPath.slice(PREFIX.length).split("/").map(decodeURIComponent)
      if (bucket !== options.bucket) return notFound()
      const path = segments.join("/")
      switch (path) {
        case FAILING_PATH:
          return json(500, { statusCode: "500", error: "internal", message: "upstream database timeout" })
        case STALLING_PATH:
          response.on("close", () => Deferred.unsafeDone(stallAbandoned, Exit.void))
          return partial().write(FIRST_BYTES)
        case BROKEN_PATH:
          return partial().write(FIRST_BYTES, () => request.socket.destroy())
        case SILENT_PATH:
          return
      }
      const content = options.objects[path]
      if (content === undefined) return notFound()
      response.writeHead(200, { "content-type": "text/csv", "content-length": content.byteLength }).end(content)
    }

    const port = yield* localHttpServer(handle)
    return { url: new URL(`http://127.0.0.1:${port}`), requests, stallAbandoned }
  })
