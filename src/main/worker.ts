// Here and throughout, @effect/platform* modules are imported by path: a package's index loads
// every module of it (HttpApiScalar alone is 3.4 MB of source), 30 MB of a worker's idle RSS.
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Layer } from "effect"
import { Alert, Discord } from "../alerts/index.js"
import {
  DatabaseConfig,
  isTransactionPooler,
  layer as configLayer,
  LoggingConfig,
  StorageConfig,
  TracingConfig,
  WorkerConfig
} from "../config/index.js"
import * as Database from "../db/Database.js"
import { checkedDatabase } from "../db/Migrations.js"
import * as Logging from "../observability/Logging.js"
import * as MetricsServer from "../observability/MetricsServer.js"
import * as Tracing from "../observability/Tracing.js"
import { JobNotifications } from "../queue/JobNotifications.js"
import * as WorkerRuntime from "../runtime/index.js"
import { WorkerIdentity } from "../runtime/index.js"
import { services } from "../services/index.js"
import { reportFailure } from "./reportFailure.js"
import { keepStoppingOnRepeatedSignals } from "./signals.js"

const name = process.argv[2] ?? ""
const service = services[name]
if (service === undefined) {
  process.stderr.write(
    `usage: node bin/worker.js <service>\n${name === "" ? "no service given" : `unknown service '${name}'`}; services: ${
      Object.keys(services).sort().join(", ")
    }\n`
  )
  process.exit(2)
}

const Config = configLayer(LoggingConfig, DatabaseConfig, WorkerConfig, StorageConfig, TracingConfig, ...service.config)
const identity = WorkerIdentity.make(service.name)
// The pool's sessions are named after the worker: the monitor sees whether its process still holds them.
const Identity = Layer.effect(
  WorkerIdentity,
  Effect.map(DatabaseConfig, (database) => ({ ...identity, sessionsNamed: !isTransactionPooler(database.url) }))
)
const Alerts = Discord.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))

const MainLive = Layer.merge(WorkerRuntime.layer(service.consumes), MetricsServer.layer).pipe(
  Layer.provide(service.handler),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.provide(JobNotifications.layer),
  Layer.provide(checkedDatabase(Database.layer(identity.workerId))),
  Layer.provide(Alerts),
  Layer.provide(Identity),
  Layer.provide(Tracing.layer(`dragonfly-worker-${service.name}`)),
  Layer.provide(Config)
)

/** Best effort, bounded: tell Discord the worker died (config permitting). */
const alertCrash = (cause: Cause.Cause<unknown>) =>
  Effect.flatMap(Discord, (discord) =>
    discord.send(Alert.WorkerCrashed({
      service: identity.service,
      workerId: identity.workerId,
      host: identity.host,
      message: Cause.pretty(cause).slice(0, 1500)
    }))).pipe(
      Effect.provide(Alerts.pipe(Layer.provide(configLayer(WorkerConfig)))),
      Effect.timeout("5 seconds"),
      Effect.ignore
    )

keepStoppingOnRepeatedSignals("the worker")

Layer.launch(MainLive).pipe(
  Effect.tapErrorCause((cause) =>
    Cause.isInterruptedOnly(cause) ? Effect.void : Effect.zipRight(reportFailure(cause), alertCrash(cause))
  ),
  Effect.provide(Logging.layer),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
