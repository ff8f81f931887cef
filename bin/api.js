#!/usr/bin/env node
import module from "node:module"

// Node 22+ caches compiled modules between runs (start-up time); a no-op on Node 20.
module.enableCompileCache?.()
await import("../dist/main/api.js")
