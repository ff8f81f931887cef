import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type { SqlClient } from "@effect/sql"
import { Console, Effect, Layer, Option } from "effect"
import { Discord } from "../../alerts/index.js"
import { DatabaseConfig, layer as configLayer, LoggingConfig, WorkerConfig } from "../../config/index.js"
import * as Database from "../../db/Database.js"
import { DeadLetters } from "../../deadletter/DeadLetters.js"
import { ImportBatches } from "../../domain/imports/index.js"
import { Monitoring } from "../../monitoring/Monitoring.js"
import { PgmqQueue } from "../../queue/PgmqQueue.js"
import { QueueDirectory } from "../../queue/QueueDirectory.js"
import { maskedUrl } from "../dev/DevStack.js"
import { DevStackDatabase } from "../dev/StackFile.js"

/** Says so on stderr when the database is the dev stack's (SUPABASE_DB_URL not set). */
const announceDevStack = Effect.flatMap(Effect.serviceOption(DevStackDatabase), Option.match({
  onNone: () => Effect.void,
  onSome: (stack) => Console.error(`using the dev stack's database ${maskedUrl(stack.url)} (from ${stack.file})`)
}))

/** The database of `SUPABASE_DB_URL` (or of the dev stack running here), as the operator commands use it. */
export const DatabaseLive = Layer.unwrapEffect(Effect.as(
  announceDevStack,
  Database.layer("dragonfly-cli").pipe(Layer.provide(configLayer(LoggingConfig, DatabaseConfig)))
))

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
