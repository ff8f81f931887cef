import type { ServiceCommand } from "./Supervisor.js"

/** Every service `dragonfly dev` runs beside the embedded database. */
export const devServices: ReadonlyArray<ServiceCommand> = []
