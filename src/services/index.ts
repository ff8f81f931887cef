import type { HttpClient } from "@effect/platform"
import type { SqlClient } from "@effect/sql"
import type { Layer } from "effect"
import type { ConfigSection, StorageConfig } from "../config/index.js"
import { Catalog, type Consumes } from "../queue/catalog.js"
import type { JobHandler } from "../runtime/index.js"
import { IngestHandlerLive } from "./ingest/ImportHandler.js"
import { ProbeHandlerLive } from "./probe/ProbeHandler.js"
import { ScoreHandlerLive } from "./score/ScoreHandler.js"
import { SimplicityHandlerLive } from "./simplicity/SimplicityHandler.js"

/** What every handler may use besides its own config sections: the database, HTTP, file storage. */
export type HandlerContext = SqlClient.SqlClient | HttpClient.HttpClient | StorageConfig

export interface ServiceDefinition {
  readonly name: string
  readonly consumes: Consumes
  readonly handler: Layer.Layer<JobHandler, never, HandlerContext>
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
  probe: {
    name: "probe",
    consumes: { _tag: "Family", prefix: "probe_" },
    handler: ProbeHandlerLive,
    config: []
  }
}
