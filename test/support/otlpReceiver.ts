import { Effect, Ref, type Scope } from "effect"
import * as Http from "node:http"

/** A span as an OTLP/HTTP JSON export carries it, with its resource's service name. */
export interface ReceivedSpan {
  readonly service: string
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly attributes: Readonly<Record<string, unknown>>
}

interface OtlpValue {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly boolValue?: boolean
  readonly doubleValue?: number
}
interface OtlpAttribute {
  readonly key: string
  readonly value: OtlpValue
}
interface OtlpExport {
  readonly resourceSpans?: ReadonlyArray<{
    readonly resource?: { readonly attributes?: ReadonlyArray<OtlpAttribute> }
    readonly scopeSpans?: ReadonlyArray<{
      readonly spans?: ReadonlyArray<{
        readonly name: string
        readonly traceId: string
        readonly spanId: string
        readonly parentSpanId?: string
        readonly attributes?: ReadonlyArray<OtlpAttribute>
      }>
    }>
  }>
}

const valueOf = (value: OtlpValue) => value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue
const attributes = (list: ReadonlyArray<OtlpAttribute> = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]))

/** An OTLP/HTTP receiver on 127.0.0.1 that keeps every span posted to /v1/traces (JSON). */
export const otlpReceiver: Effect.Effect<
  { readonly endpoint: string; readonly spans: Ref.Ref<ReadonlyArray<ReceivedSpan>> },
  never,
  Scope.Scope
> = Effect.gen(function*() {
  const spans = yield* Ref.make<ReadonlyArray<ReceivedSpan>>([])
  const server = yield* Effect.acquireRelease(
    Effect.async<Http.Server>((resume) => {
      const server = Http.createServer((request, response) => {
        let body = ""
        request.on("data", (chunk) => (body += chunk))
        request.on("end", () => {
          if (request.method !== "POST" || request.url !== "/v1/traces") {
            response.writeHead(404).end()
            return
          }
          const exported = JSON.parse(body) as OtlpExport
          const received = (exported.resourceSpans ?? []).flatMap((resource) => {
            const service = String(attributes(resource.resource?.attributes)["service.name"] ?? "")
            return (resource.scopeSpans ?? []).flatMap((scope) =>
              (scope.spans ?? []).map((span): ReceivedSpan => ({
                service,
                name: span.name,
                traceId: span.traceId,
                spanId: span.spanId,
                parentSpanId: span.parentSpanId === "" ? undefined : span.parentSpanId,
                attributes: attributes(span.attributes)
              }))
            )
          })
          Effect.runSync(Ref.update(spans, (all) => [...all, ...received]))
          response.writeHead(200, { "content-type": "application/json" }).end("{}")
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )
  const { port } = server.address() as { port: number }
  return { endpoint: `http://127.0.0.1:${port}`, spans }
})
