// Drafting (an LLM client among its dependencies) has its own door, ./drafting/index.js, so that
// the planner's users (the API, the score worker) do not load it.
export * from "./interest.js"
export * from "./planner.js"
export * from "./record.js"
export * from "./rules.js"
export * from "./PlanQueries.js"
export * from "./PlanRepository.js"
