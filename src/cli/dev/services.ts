import { fileURLToPath } from "node:url"
import type { ServiceCommand } from "./Supervisor.js"

const workerScript = fileURLToPath(new URL("../../../bin/worker.js", import.meta.url))

const worker = (service: string): ServiceCommand => ({
  name: service,
  command: process.execPath,
  args: [workerScript, service]
})

/** Every service `dragonfly dev` runs beside the embedded database, each in its own process. */
export const devServices: ReadonlyArray<ServiceCommand> = [worker("score")]
