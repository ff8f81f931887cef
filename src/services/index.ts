import type { SqlClient } from "@effect/sql"
import type { Layer } from "effect"
import type { ConfigSection } from "../config/index.js"
import type { Consumes } from "../queue/catalog.js"
import type { JobHandler } from "../runtime/index.js"
import { ProbeHandlerLive } from "./probe/ProbeHandler.js"

export interface ServiceDefinition {
  readonly name: string
  readonly consumes: Consumes
  readonly handler: Layer.Layer<JobHandler, never, SqlClient.SqlClient>
  /** Config sections the handler needs beyond the database and worker settings. */
  readonly config: ReadonlyArray<ConfigSection>
}

/** Every service `node bin/worker.js <service>` can run. */
export const services: Record<string, ServiceDefinition> = {
  probe: {
    name: "probe",
    consumes: { _tag: "Family", prefix: "probe_" },
    handler: ProbeHandlerLive,
    config: []
  }
}
