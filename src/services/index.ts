import type { SqlClient } from "@effect/sql"
import type { Layer } from "effect"
import type { ConfigSection } from "../config/index.js"
import { Catalog, type Consumes } from "../queue/catalog.js"
import type { JobHandler } from "../runtime/index.js"
import { ProbeHandlerLive } from "./probe/ProbeHandler.js"
import { ScoreHandlerLive } from "./score/ScoreHandler.js"

export interface ServiceDefinition {
  readonly name: string
  readonly consumes: Consumes
  readonly handler: Layer.Layer<JobHandler, never, SqlClient.SqlClient>
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
