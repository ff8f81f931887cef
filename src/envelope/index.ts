export * from "./JobEnvelope.js"
export * as TraceLink from "./TraceLink.js"
export { fieldsWithNul, MAX_JSON_DEPTH, nestsAtMost } from "./JsonLimits.js"
