export * from "./model.js"
export * from "./ScoreRepository.js"
export * from "./ScoreResults.js"
