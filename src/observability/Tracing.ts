import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import { Effect, Layer, Option } from "effect"
import { TracingConfig } from "../config/TracingConfig.js"

/**
 * Spans exported over OTLP/HTTP (JSON) to `OTEL_EXPORTER_OTLP_ENDPOINT`, or no tracer at all when
 * it is unset (then spans cost next to nothing: the runtime skips its job spans).
 */
export const layer = (defaultServiceName: string): Layer.Layer<never, never, TracingConfig> =>
  Layer.unwrapEffect(Effect.map(TracingConfig, (config) =>
    Option.match(config.endpoint, {
      onNone: () => Layer.empty,
      onSome: (endpoint) =>
        OtlpTracer.layer({
          url: `${endpoint.replace(/\/+$/, "")}/v1/traces`,
          resource: { serviceName: Option.getOrElse(config.serviceName, () => defaultServiceName), serviceVersion: config.version },
          exportInterval: "1 second"
        }).pipe(Layer.provide(OtlpSerialization.layerJson), Layer.provide(NodeHttpClient.layerUndici))
    })))
