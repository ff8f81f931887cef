export * from "./FileStore.js"
export * from "./UploadStore.js"
export * from "./CsvText.js"
