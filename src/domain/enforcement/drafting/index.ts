export * from "./Drafter.js"
export * from "./DraftRecord.js"
export * from "./templates.js"
export * from "./verify.js"
