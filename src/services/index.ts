import type * as HttpClient from "@effect/platform/HttpClient"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import {
  CollectorConfig,
  CommsConfig,
  type ConfigSection,
  DraftingConfig,
  type InvalidConfiguration,
  LegalRulesConfig,
  type StorageConfig
} from "../config/index.js"
import { Catalog, type Consumes } from "../queue/catalog.js"
import type { JobHandler } from "../runtime/index.js"

/** What a handler may use: the database, HTTP, file storage, and the config sections it lists. */
export type HandlerContext =
  | SqlClient.SqlClient
  | HttpClient.HttpClient
  | StorageConfig
  | CollectorConfig
  | CommsConfig
  | DraftingConfig
  | LegalRulesConfig

export interface ServiceDefinition {
  readonly name: string
  readonly consumes: Consumes
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
    consumes: consumesOf("ingest"),
    handler: loaded(() => import("./ingest/ImportHandler.js"), (m) => m.IngestHandlerLive),
    config: []
  },
  simplicity: {
    name: "simplicity",
    consumes: consumesOf("simplicity"),
    handler: loaded(() => import("./simplicity/SimplicityHandler.js"), (m) => m.SimplicityHandlerLive),
    config: []
  },
  score: {
    name: "score",
    consumes: consumesOf("score"),
    handler: loaded(() => import("./score/ScoreHandler.js"), (m) => m.ScoreHandlerLive),
    config: []
  },
  enforcement: {
    name: "enforcement",
    consumes: consumesOf("enforcement"),
    handler: loaded(() => import("./enforcement/EnforcementHandler.js"), (m) => m.EnforcementHandlerLive),
    config: [CollectorConfig, DraftingConfig, LegalRulesConfig]
  },
  comms: {
    name: "comms",
    consumes: consumesOf("comms"),
    handler: loaded(() => import("./comms/CommsHandler.js"), (m) => m.CommsServiceLive),
    config: [CommsConfig, LegalRulesConfig]
  },
  probe: {
    name: "probe",
    consumes: { _tag: "Family", prefix: "probe_" },
    handler: loaded(() => import("./probe/ProbeHandler.js"), (m) => m.ProbeHandlerLive),
    config: []
  }
}
