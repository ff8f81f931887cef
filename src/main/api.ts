import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import * as Server from "../api/Server.js"
import {
  ApiConfig,
  DatabaseConfig,
  layer as configLayer,
  LegalRulesConfig,
  LoggingConfig,
  OptionalCollectorConfig,
  TracingConfig
} from "../config/index.js"
import * as Database from "../db/Database.js"
import { checkedDatabase } from "../db/Migrations.js"
import { isAddressInUse, PortInUse } from "../dev/ports.js"
import * as Logging from "../observability/Logging.js"
import * as Tracing from "../observability/Tracing.js"
import { reportFailure } from "./reportFailure.js"
import { keepStoppingOnRepeatedSignals } from "./signals.js"

const Http = Layer.unwrapEffect(Effect.map(ApiConfig, (config) =>
  NodeHttpServer.layer(createServer, { port: config.port }).pipe(
    Layer.mapError((error) => (isAddressInUse(error) ? new PortInUse({ port: config.port, setting: "PORT" }) : error))
  )))

// The server is built after the pool and stopped before it: SIGTERM stops accepting, lets the
// requests in flight finish, then closes the pool.
const MainLive = Server.layer().pipe(
  HttpServer.withLogAddress,
  Layer.provide(Http),
  Layer.provide(checkedDatabase(Database.layer("dragonfly-api"))),
  Layer.provide(Tracing.layer("dragonfly-api")),
  Layer.provide(
    configLayer(LoggingConfig, DatabaseConfig, ApiConfig, OptionalCollectorConfig, LegalRulesConfig, TracingConfig)
  )
)

keepStoppingOnRepeatedSignals("the API")

Layer.launch(MainLive).pipe(
  Effect.tapErrorCause((cause) => reportFailure(cause)),
  Effect.provide(Logging.layer),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
