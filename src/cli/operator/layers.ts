import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type { SqlClient } from "@effect/sql"
import { Layer } from "effect"
import { Discord } from "../../alerts/index.js"
import { DatabaseConfig, layer as configLayer, LoggingConfig, WorkerConfig } from "../../config/index.js"
import * as Database from "../../db/Database.js"
import { DeadLetters } from "../../deadletter/DeadLetters.js"
import { ImportBatches } from "../../domain/imports/index.js"
import { Monitoring } from "../../monitoring/Monitoring.js"
import { PgmqQueue } from "../../queue/PgmqQueue.js"
import { QueueDirectory } from "../../queue/QueueDirectory.js"

/** The database of `SUPABASE_DB_URL`, as the operator commands use it. */
export const DatabaseLive = Database.layer("dragonfly-cli").pipe(
  Layer.provide(configLayer(LoggingConfig, DatabaseConfig))
)

/** What the inspection and dead-letter commands read and change, on the database given. */
export const operatorServices = <E>(database: Layer.Layer<SqlClient.SqlClient, E>) =>
  Layer.mergeAll(Monitoring.Default, DeadLetters.Default, QueueDirectory.Default, ImportBatches.Default).pipe(
    Layer.provideMerge(PgmqQueue.Default),
    Layer.provideMerge(database)
  )

export const OperatorLive = operatorServices(DatabaseLive)

/**
 * Discord from `DISCORD_WEBHOOK_URL`, with the `WorkerConfig` it was read from; posts are sent
 * before the command ends.
 */
export const DiscordLive = Discord.layer.pipe(
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.provideMerge(configLayer(WorkerConfig))
)
