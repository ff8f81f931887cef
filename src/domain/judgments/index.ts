export * from "./factsRow.js"
export * from "./records.js"
