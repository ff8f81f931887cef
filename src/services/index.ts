import type * as HttpClient from "@effect/platform/HttpClient"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, type Schema } from "effect"
import {
  CollectorConfig,
  CommsConfig,
  type ConfigSection,
  DraftingConfig,
  type InvalidConfiguration,
  LegalRulesConfig,
  ProbeConfig,
  type StorageConfig
} from "../config/index.js"
import { CommsPayload } from "../jobs/Outbox.js"
import { Catalog, type Consumes, isConsumedBy } from "../queue/catalog.js"
import { type JobHandler, payloadProblems } from "../runtime/index.js"
import { EnforcementPayload } from "./enforcement/payload.js"
import { ImportPayload } from "./ingest/payload.js"
import { ProbePayload } from "./probe/payload.js"
import { ScorePayload } from "./score/payload.js"

/** What a handler may use: the database, HTTP, file storage, and the config sections it lists. */
export type HandlerContext =
  | SqlClient.SqlClient
  | HttpClient.HttpClient
  | StorageConfig
  | CollectorConfig
  | CommsConfig
  | DraftingConfig
  | LegalRulesConfig
  | ProbeConfig

export interface ServiceDefinition {
  readonly name: string
  readonly consumes: Consumes
  /** What its jobs' `payload` must be (the handler refuses anything else as `invalid_payload`). */
  readonly payload: Schema.Schema<any, any>
  /** Fails when its settings or rule files are unusable: the worker does not start. */
  readonly handler: Layer.Layer<JobHandler, InvalidConfiguration, HandlerContext>
  /** Config sections the handler needs beyond the database and worker settings. */
  readonly config: ReadonlyArray<ConfigSection>
}

const consumesOf = (service: string): Consumes => {
  const entry = Catalog.find((e) => e.service === service)
  if (entry === undefined) throw new Error(`the queue catalogue has no entry for ${service}`)
  return entry.consumes
}

type HandlerLayer = Layer.Layer<JobHandler, InvalidConfiguration, HandlerContext>

/**
 * A handler whose module is loaded when its layer is built: a worker process loads the code (and
 * the libraries) of its own service only, not those of the five others.
 */
const loaded = <M>(load: () => Promise<M>, handler: (module: M) => HandlerLayer): HandlerLayer =>
  Layer.unwrapEffect(Effect.map(Effect.promise(load), handler))

/** Every service `node bin/worker.js <service>` can run. */
export const services: Record<string, ServiceDefinition> = {
  ingest: {
    name: "ingest",
    payload: ImportPayload,
    consumes: consumesOf("ingest"),
    handler: loaded(() => import("./ingest/ImportHandler.js"), (m) => m.IngestHandlerLive),
    config: []
  },
  simplicity: {
    name: "simplicity",
    payload: ImportPayload,
    consumes: consumesOf("simplicity"),
    handler: loaded(() => import("./simplicity/SimplicityHandler.js"), (m) => m.SimplicityHandlerLive),
    config: []
  },
  score: {
    name: "score",
    payload: ScorePayload,
    consumes: consumesOf("score"),
    handler: loaded(() => import("./score/ScoreHandler.js"), (m) => m.ScoreHandlerLive),
    config: []
  },
  enforcement: {
    name: "enforcement",
    payload: EnforcementPayload,
    consumes: consumesOf("enforcement"),
    handler: loaded(() => import("./enforcement/EnforcementHandler.js"), (m) => m.EnforcementHandlerLive),
    config: [CollectorConfig, DraftingConfig, LegalRulesConfig]
  },
  comms: {
    name: "comms",
    payload: CommsPayload,
    consumes: consumesOf("comms"),
    handler: loaded(() => import("./comms/CommsHandler.js"), (m) => m.CommsServiceLive),
    config: [CommsConfig, LegalRulesConfig]
  },
  probe: {
    name: "probe",
    payload: ProbePayload,
    consumes: { _tag: "Family", prefix: "probe_" },
    handler: loaded(() => import("./probe/ProbeHandler.js"), (m) => m.ProbeHandlerLive),
    config: [ProbeConfig]
  }
}

/**
 * What is wrong with `payload` for the service that consumes `queue`, as its worker would find
 * it: nothing when it is fine, or when no service consumes the queue.
 */
const checkers = new Map(Object.values(services).map((service) => [service.name, payloadProblems(service.payload)]))

export const payloadProblemsFor = (queue: string) =>
  Option.fromNullable(Object.values(services).find((service) => isConsumedBy(service.consumes, queue))).pipe(
    Option.map((service) => checkers.get(service.name)!),
    Option.getOrElse(() => () => [])
  )
