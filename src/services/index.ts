import type { HttpClient } from "@effect/platform"
import type { SqlClient } from "@effect/sql"
import type { Layer } from "effect"
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
import { CommsServiceLive } from "./comms/CommsHandler.js"
import { EnforcementHandlerLive } from "./enforcement/EnforcementHandler.js"
import { IngestHandlerLive } from "./ingest/ImportHandler.js"
import { ProbeHandlerLive } from "./probe/ProbeHandler.js"
import { ScoreHandlerLive } from "./score/ScoreHandler.js"
import { SimplicityHandlerLive } from "./simplicity/SimplicityHandler.js"

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

/** Every service `node bin/worker.js <service>` can run. */
export const services: Record<string, ServiceDefinition> = {
  ingest: {
    name: "ingest",
    consumes: consumesOf("ingest"),
    handler: IngestHandlerLive,
    config: []
  },
  simplicity: {
    name: "simplicity",
    consumes: consumesOf("simplicity"),
    handler: SimplicityHandlerLive,
    config: []
  },
  score: {
    name: "score",
    consumes: consumesOf("score"),
    handler: ScoreHandlerLive,
    config: []
  },
  enforcement: {
    name: "enforcement",
    consumes: consumesOf("enforcement"),
    handler: EnforcementHandlerLive,
    config: [CollectorConfig, DraftingConfig, LegalRulesConfig]
  },
  comms: {
    name: "comms",
    consumes: consumesOf("comms"),
    handler: CommsServiceLive,
    config: [CommsConfig, LegalRulesConfig]
  },
  probe: {
    name: "probe",
    consumes: { _tag: "Family", prefix: "probe_" },
    handler: ProbeHandlerLive,
    config: []
  }
}
