import { fileURLToPath } from "node:url"
import type { ServiceCommand } from "./Supervisor.js"

const workerScript = fileURLToPath(new URL("../../../bin/worker.js", import.meta.url))
const apiScript = fileURLToPath(new URL("../../../bin/api.js", import.meta.url))

/** A service of the dev stack, with the settings of its own beside the shared ones. */
export interface DevService extends ServiceCommand {
  readonly env: Record<string, string>
}

export interface ApiSettings {
  readonly port: number
  readonly apiKey: string
  /** Where the comms worker writes the messages it would have sent (no SMTP or SMS locally). */
  readonly outboxDir: string
}

/** A fictional collector for the demo's letters (reserved phone range and domain). */
const DEMO_COLLECTOR = {
  COLLECTOR_NAME: "Example Recovery LLP (TEST)",
  COLLECTOR_ADDRESS: "PO Box 100, Albany, NY 12201",
  COLLECTOR_PHONE: "(518) 555-0100",
  COLLECTOR_EMAIL: "collections@example.com"
}

const worker = (service: string, env: Record<string, string> = {}): DevService => ({
  name: service,
  command: process.execPath,
  args: [workerScript, service],
  env
})

const api = (settings: ApiSettings): DevService => ({
  name: "api",
  command: process.execPath,
  args: [apiScript],
  env: { PORT: String(settings.port), DRAGONFLY_API_KEY: settings.apiKey, ...DEMO_COLLECTOR }
})

/** Every service `dragonfly dev` runs beside the embedded database, each in its own process. */
export const devServices = (settings: ApiSettings): ReadonlyArray<DevService> => [
  api(settings),
  worker("ingest"),
  worker("simplicity"),
  worker("score"),
  worker("enforcement", DEMO_COLLECTOR),
  worker("comms", { COMMS_CAPTURE_DIR: settings.outboxDir })
]
