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
  OptionalCollectorConfig
} from "../config/index.js"
import * as Database from "../db/Database.js"
import * as Logging from "../observability/Logging.js"
import { reportFailure } from "./reportFailure.js"

const Http = Layer.unwrapEffect(Effect.map(ApiConfig, (config) => NodeHttpServer.layer(createServer, { port: config.port })))

// The server is built after the pool and stopped before it: SIGTERM stops accepting, lets the
// requests in flight finish, then closes the pool.
const MainLive = Server.layer().pipe(
  HttpServer.withLogAddress,
  Layer.provide(Http),
  Layer.provide(Database.layer("dragonfly-api")),
  Layer.provide(configLayer(LoggingConfig, DatabaseConfig, ApiConfig, OptionalCollectorConfig, LegalRulesConfig))
)

Layer.launch(MainLive).pipe(
  Effect.tapErrorCause((cause) => reportFailure(cause)),
  Effect.provide(Logging.layer),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
