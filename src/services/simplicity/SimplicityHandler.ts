import { importHandler } from "../ingest/ImportHandler.js"

/** `node bin/worker.js simplicity`: Simplicity exports (domain.md §1) on every `simplicity_*` queue. */
export const SimplicityHandlerLive = importHandler("simplicity")
