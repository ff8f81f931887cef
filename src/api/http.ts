import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpApp from "@effect/platform/HttpApp"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Multipart from "@effect/platform/Multipart"
import { SqlError } from "@effect/sql/SqlError"
import { Cause, Effect, Exit, Option, Schema } from "effect"
import { randomBytes } from "node:crypto"
import * as Metrics from "../observability/Metrics.js"
import {
  InternalServerError,
  MalformedBody,
  NotFound,
  PayloadTooLarge,
  ServiceUnavailable,
  UnsupportedMediaType
} from "./errors.js"
import { routeOf } from "./routes.js"

export interface Limits {
  /** The largest request body, in bytes, of every endpoint but uploads. */
  readonly maxBodyBytes: number
  /** The largest upload (`POST /v1/uploads`), in bytes. */
  readonly maxUploadBytes: number
}

export interface HttpOptions extends Limits {
  /** Exact origins allowed by CORS; `*` allows any; empty: no CORS headers at all. */
  readonly corsOrigins: ReadonlyArray<string>
  /** True once the server is stopping: answers then close their connection (no keep-alive). */
  readonly draining: () => boolean
}

export const UPLOAD_PATH = "/v1/uploads"
export const TRACE_HEADER = "x-trace-id"

const ALLOWED_METHODS = "GET, POST, OPTIONS"
const ALLOWED_HEADERS = "authorization, content-type, x-api-key, traceparent"

const pathOf = (url: string) => {
  const query = url.indexOf("?")
  return query === -1 ? url : url.slice(0, query)
}

/** The trace id of the request's span (the caller's, when it sent a `traceparent`). */
const currentTraceId = Effect.map(Effect.option(Effect.currentSpan), (span) =>
  Option.match(span, { onNone: () => randomBytes(16).toString("hex"), onSome: (span) => span.traceId }))

const json = <A, I>(schema: Schema.Schema<A, I>, error: A, status: number) =>
  HttpServerResponse.unsafeJson(Schema.encodeSync(schema)(error), { status })

const tooLarge = (limit: number) =>
  json(PayloadTooLarge, new PayloadTooLarge({ message: `request body larger than ${limit} bytes`, limit_bytes: limit }), 413)

const malformed = (message: string) => json(MalformedBody, new MalformedBody({ message }), 400)

/** invalid byte sequence (a NUL in text), untranslatable character (\u0000 in jsonb). */
const UNSTORABLE_TEXT = new Set(["22021", "22P05"])
const sqlStateOf = (error: SqlError) => {
  const cause = error.cause as { readonly code?: unknown } | undefined
  return typeof cause?.code === "string" ? cause.code : ""
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/** A POST to an endpoint that reads JSON (every one but uploads) must say its body is JSON. */
const notJson = (request: HttpServerRequest.HttpServerRequest, path: string) => {
  if (request.method !== "POST" || path === UPLOAD_PATH || routeOf(request.method, path) === "unmatched") return undefined
  const type = request.headers["content-type"]
  if (type !== undefined && JSON_TYPE.test(type)) return undefined
  return json(
    UnsupportedMediaType,
    new UnsupportedMediaType({
      message: `the request body must be JSON, sent with content-type: application/json (${
        type === undefined ? "no content-type was given" : `not ${type.slice(0, 100)}`
      })`
    }),
    415
  )
}

/**
 * What the endpoints could not answer themselves, as the API's JSON errors: no route (404), a
 * body that could not be read or parsed (400) or was too large (413), and anything unexpected
 * (500; 503 when the database could not be reached), logged with its cause.
 */
const errorResponse = (cause: Cause.Cause<unknown>, limit: number, traceId: string) =>
  Effect.gen(function*() {
    const error = Cause.squash(cause)
    if (HttpServerError.isServerError(error)) {
      if (error._tag === "RouteNotFound") {
        return json(NotFound, new NotFound({ message: `no route for ${error.request.method} ${pathOf(error.request.url)}` }), 404)
      }
      if (error._tag === "RequestError" && error.reason === "Decode") {
        const inner = error.cause
        if (inner instanceof Error && inner.message === "maxBytes exceeded") return tooLarge(limit)
        return malformed(inner instanceof SyntaxError ? "request body is not valid JSON" : "request body could not be read")
      }
    }
    if (error instanceof Multipart.MultipartError) {
      return error.reason === "Parse" || error.reason === "InternalError"
        ? malformed("multipart body could not be parsed")
        : tooLarge(limit)
    }
    if (error instanceof SqlError && UNSTORABLE_TEXT.has(sqlStateOf(error))) {
      return malformed("the request holds text Postgres cannot store (the NUL character, \\u0000)")
    }
    if (error instanceof SqlError && /acquire connection|connect/i.test(error.message)) {
      yield* Effect.logError("database unavailable", cause)
      return json(ServiceUnavailable, new ServiceUnavailable({ message: "database unavailable", trace_id: traceId }), 503)
    }
    yield* Effect.logError("unexpected failure", cause)
    return json(InternalServerError, new InternalServerError({ message: "internal error", trace_id: traceId }), 500)
  })

const cors = (origins: ReadonlyArray<string>) => {
  const any = origins.includes("*")
  const allowed = (origin: string | undefined): origin is string =>
    origin !== undefined && (any || origins.includes(origin))
  const vary = any ? {} : { vary: "Origin" }
  return {
    enabled: origins.length > 0,
    /** An answer to a CORS preflight; none to other requests. */
    preflight: (request: HttpServerRequest.HttpServerRequest) => {
      const origin = request.headers["origin"]
      if (request.method !== "OPTIONS" || origin === undefined) return undefined
      if (request.headers["access-control-request-method"] === undefined) return undefined
      if (!allowed(origin)) return HttpServerResponse.empty({ status: 204, headers: vary })
      return HttpServerResponse.empty({
        status: 204,
        headers: {
          ...vary,
          "access-control-allow-origin": any ? "*" : origin,
          "access-control-allow-methods": ALLOWED_METHODS,
          "access-control-allow-headers": ALLOWED_HEADERS,
          "access-control-max-age": "600"
        }
      })
    },
    decorate: (request: HttpServerRequest.HttpServerRequest, response: HttpServerResponse.HttpServerResponse) => {
      const origin = request.headers["origin"]
      if (!allowed(origin)) return HttpServerResponse.setHeaders(response, vary)
      return HttpServerResponse.setHeaders(response, {
        ...vary,
        "access-control-allow-origin": any ? "*" : origin,
        "access-control-expose-headers": TRACE_HEADER
      })
    }
  }
}

const limitFor = (options: Limits, path: string) =>
  path === UPLOAD_PATH ? options.maxUploadBytes : options.maxBodyBytes

/**
 * Inside the API (around its router, within its error encoding): turns what the endpoints could
 * not answer into the API's JSON errors. Typed errors of the endpoints pass through, to be
 * encoded by their schemas.
 */
export const apiMiddleware = (options: Limits) => (app: HttpApp.Default): HttpApp.Default =>
  Effect.catchAllCause(app, (cause) => {
    if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
    const error = Cause.squash(cause)
    const unhandled = Cause.isDie(cause) || HttpServerError.isServerError(error)
    if (!unhandled) return Effect.failCause(cause)
    return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      Effect.flatMap(currentTraceId, (traceId) => errorResponse(cause, limitFor(options, pathOf(request.url)), traceId)))
  })

/**
 * Around every request (outside the API): CORS (preflights answered here), the body size limit,
 * the JSON content type of POST bodies (415 otherwise), the trace id (`X-Trace-Id`), and one log
 * line with method, path, status, duration and trace id. Never the query string or a header, so
 * never the API key.
 */
export const serverMiddleware = (options: HttpOptions) => {
  const corsPolicy = cors(options.corsOrigins)
  return (app: HttpApp.Default): HttpApp.Default =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const started = performance.now()
      const traceId = yield* currentTraceId
      const path = pathOf(request.url)
      const limit = limitFor(options, path)
      const decorate = (response: HttpServerResponse.HttpServerResponse) => {
        const decorated = HttpServerResponse.setHeader(
          corsPolicy.enabled ? corsPolicy.decorate(request, response) : response,
          TRACE_HEADER,
          traceId
        )
        // A kept-alive connection would hold the server's close open until its idle timeout.
        return options.draining() ? HttpServerResponse.setHeader(decorated, "connection", "close") : decorated
      }
      const log = (status: number) => {
        const seconds = (performance.now() - started) / 1000
        const route = routeOf(request.method, path)
        Metrics.apiRequests({ route, status: String(status) })(1)
        Metrics.apiRequestDuration({ route })(seconds)
        const durationMs = Math.round(seconds * 10_000) / 10
        return Effect.logInfo(`${request.method} ${path} ${status} ${durationMs}ms`).pipe(
          Effect.annotateLogs({ method: request.method, path, status, duration_ms: durationMs, trace_id: traceId })
        )
      }

      // Answered here, before the API: the response is returned rather than sent by the app.
      const early = corsPolicy.enabled ? corsPolicy.preflight(request) : undefined
      const declared = Number(request.headers["content-length"] ?? 0)
      const immediate = early ?? (Number.isFinite(declared) && declared > limit ? tooLarge(limit) : notJson(request, path))
      if (immediate !== undefined) {
        const response = decorate(immediate)
        yield* log(response.status)
        return response
      }

      // The app sends its response itself; headers are added on the way out.
      yield* HttpApp.appendPreResponseHandler((_request, response) => Effect.succeed(decorate(response)))
      const exit = yield* app.pipe(
        HttpIncomingMessage.withMaxBodySize(Option.some(FileSystem.Size(limit))),
        Effect.onInterrupt(() =>
          Effect.logInfo(`${request.method} ${path} interrupted (client went away)`).pipe(
            Effect.annotateLogs({ method: request.method, path, trace_id: traceId })
          )
        ),
        Effect.exit
      )
      yield* log(Exit.match(exit, {
        onSuccess: (response) => response.status,
        onFailure: (cause) => HttpServerError.causeResponseStripped(cause)[0].status
      }))
      return yield* exit
    })
}
