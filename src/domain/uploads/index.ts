export * from "./UploadStore.js"
