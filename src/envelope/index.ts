export * from "./JobEnvelope.js"
export * as TraceLink from "./TraceLink.js"
