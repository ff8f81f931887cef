import { NodeHttpClient } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { Duration, Effect, Layer, Option } from "effect"
import { randomUUID } from "node:crypto"
import { Discord, RecordedAlerts } from "../../src/alerts/index.js"
import {
  CollectorConfig,
  type CollectorSettings,
  CommsConfig,
  type CommsSettings,
  DraftingConfig,
  LegalRulesConfig,
  type OpenAiSettings,
  ProbeConfig,
  StorageConfig,
  type StorageSettings,
  WorkerConfig,
  type WorkerSettings
} from "../../src/config/index.js"
import * as Envelope from "../../src/envelope/index.js"
import { PgmqQueue } from "../../src/queue/PgmqQueue.js"
import { queueName } from "../../src/queue/QueueName.js"
import * as WorkerRuntime from "../../src/runtime/index.js"
import { WorkerIdentity } from "../../src/runtime/index.js"
import { services } from "../../src/services/index.js"

export const ORG = "00000000-0000-4000-8000-00000000000a"
export const PROBE_QUEUE = queueName("probe_main")

export const workerSettings = (overrides: Partial<WorkerSettings> = {}): WorkerSettings => ({
  version: "test",
  heartbeatInterval: Duration.seconds(1),
  heartbeatRetention: Duration.days(7),
  metricsPort: Option.none(),
  metricsToken: Option.none(),
  discordWebhookUrl: Option.none(),
  concurrency: 4,
  batchSize: 10,
  visibilityTimeoutSeconds: 30,
  maxAttempts: 5,
  idlePoll: Duration.millis(50),
  shutdownGrace: Duration.seconds(5),
  queueRefresh: Duration.seconds(30),
  listen: "auto",
  ...overrides
})

/** No Supabase Storage unless a test says where. */
export const storageSettings = (overrides: Partial<StorageSettings> = {}): StorageSettings => ({
  supabaseUrl: Option.none(),
  serviceRoleKey: Option.none(),
  bucket: "imports",
  readTimeout: Duration.seconds(5),
  ...overrides
})

export const collectorSettings: CollectorSettings = {
  name: "Example Recovery LLP (TEST)",
  mailingAddress: "PO Box 100, Albany, NY 12201",
  phone: "(518) 555-0100",
  email: "collections@example.com"
}

/** No channel at all unless a test says which. */
export const commsSettings = (overrides: Partial<CommsSettings> = {}): CommsSettings => ({
  email: Option.none(),
  sms: Option.none(),
  captureDir: Option.none(),
  sendTimeout: Duration.seconds(5),
  smsDeduplicates: false,
  ...overrides
})

export interface ServiceSettings {
  readonly comms?: Partial<CommsSettings>
  /** OpenAI drafting (the enforcement worker); none by default. */
  readonly drafting?: OpenAiSettings
  /** Where the probe's `call_external` jobs POST; none by default. */
  readonly probeExternalUrl?: URL
}

/**
 * A service's worker, in this process, on the SqlClient the test provides (Discord too: use
 * `recordedAlerts`). Its scope is the worker's lifetime.
 */
export const serviceWorker = (
  service: string,
  overrides: Partial<WorkerSettings> = {},
  storage: Partial<StorageSettings> = {},
  settings: ServiceSettings = {}
) =>
  WorkerRuntime.layer(services[service]!.consumes).pipe(
    Layer.provide(services[service]!.handler),
    Layer.provide(NodeHttpClient.layerUndici),
    Layer.provide(Layer.succeed(CollectorConfig, collectorSettings)),
    Layer.provide(Layer.succeed(CommsConfig, commsSettings(settings.comms))),
    Layer.provide(Layer.succeed(DraftingConfig, Option.fromNullable(settings.drafting))),
    Layer.provide(Layer.succeed(LegalRulesConfig, { directory: Option.none() })),
    Layer.provide(Layer.succeed(ProbeConfig, { externalUrl: Option.fromNullable(settings.probeExternalUrl) })),
    Layer.provide(Layer.succeed(StorageConfig, storageSettings(storage))),
    Layer.provide(Layer.succeed(WorkerConfig, workerSettings(overrides))),
    Layer.provide(Layer.succeed(WorkerIdentity, WorkerIdentity.make(service)))
  )

export const probeWorker = (overrides: Partial<WorkerSettings> = {}) => serviceWorker("probe", overrides)

export const recordedAlerts = Discord.layerRecording
export { RecordedAlerts }

export const envelope = (
  payload: Record<string, unknown>,
  key: string = randomUUID(),
  entity: Pick<Envelope.JobEnvelopeInput, "entity_type" | "entity_id" | "org_id"> = {
    org_id: ORG,
    entity_type: "batch",
    entity_id: "probe"
  }
) => Envelope.encode(Envelope.make({ ...entity, idempotency_key: key, payload }))

export const send = (message: unknown, queue = PROBE_QUEUE) =>
  Effect.flatMap(PgmqQueue, (pgmq) => pgmq.send(queue, message))

/** Polls `check` every 50 ms until it returns true, for at most `timeout`. */
export const eventually = <E, R>(
  check: Effect.Effect<boolean, E, R>,
  timeout: Duration.DurationInput = "15 seconds"
) =>
  Effect.gen(function*() {
    const deadline = Date.now() + Duration.toMillis(timeout)
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`condition not met within ${Duration.format(timeout)}`)
      yield* Effect.sleep("50 millis")
    }
  })

export const count = (query: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql.unsafe<{ n: number }>(query), (rows) => Number(rows[0]?.n ?? 0)))

export interface DeadLetterRow {
  readonly reason: string
  readonly source_queue: string
  readonly source_msg_id: number
  readonly read_ct: number
  readonly error: { readonly tag: string; readonly message: string; readonly details?: unknown }
  readonly original: unknown
  readonly worker_id: string
  readonly job_id: string | null
}

export const deadLetters = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(
    sql<{ message: DeadLetterRow }>`SELECT message FROM pgmq.q_dead_letter ORDER BY msg_id`,
    (rows) => rows.map((row) => row.message)
  ))
