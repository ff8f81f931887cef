export * from "./JobEnvelope.js"
