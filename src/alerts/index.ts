export * from "./Discord.js"
