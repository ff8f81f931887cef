import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { run } from "../cli/index.js"
import * as Logging from "../observability/Logging.js"
import { reportFailure } from "./reportFailure.js"

run(process.argv).pipe(
  Effect.tapErrorCause(reportFailure),
  Effect.provide(Layer.merge(NodeContext.layer, Logging.layer)),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
