import type { SqlClient } from "@effect/sql"
import { Layer } from "effect"
import type { Discord } from "../alerts/index.js"
import type { WorkerConfig } from "../config/index.js"
import { DeadLetter } from "../deadletter/DeadLetter.js"
import { Heartbeat } from "../heartbeat/Heartbeat.js"
import type { Consumes } from "../queue/catalog.js"
import { PgmqQueue } from "../queue/PgmqQueue.js"
import { Acknowledger } from "./Acknowledger.js"
import { Deliveries } from "./Deliveries.js"
import { IdempotencyLedger } from "./IdempotencyLedger.js"
import type { JobHandler } from "./JobHandler.js"
import * as Worker from "./Worker.js"
import type { WorkerIdentity } from "./WorkerIdentity.js"

export * from "./errors.js"
export {
  type Delivery,
  type Job,
  JobHandler,
  make as makeJobHandler,
  noWrites,
  payloadProblems,
  type Writes
} from "./JobHandler.js"
export { WorkerIdentity } from "./WorkerIdentity.js"

/**
 * A worker consuming `consumes` with the service's JobHandler: the runtime and its own services
 * (queue, ledger, dead letters, heartbeat, acknowledger), leaving only infrastructure to provide.
 */
export const layer = (consumes: Consumes): Layer.Layer<
  never,
  never,
  SqlClient.SqlClient | WorkerConfig | WorkerIdentity | JobHandler | Discord
> => {
  const services = Layer.mergeAll(IdempotencyLedger.Default, DeadLetter.Default, Heartbeat.Default, Deliveries.Default).pipe(
    Layer.provideMerge(PgmqQueue.Default)
  )
  return Worker.layer(consumes).pipe(Layer.provide(Acknowledger.Default.pipe(Layer.provideMerge(services))))
}
