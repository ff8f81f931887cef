import { Effect } from "effect"
import { acceptsConnections, anyFreePort } from "../../src/dev/ports.js"

export { acceptsConnections }

/** A port nothing listens on: bound, then released. */
export const closedPort = Effect.orDie(anyFreePort)
