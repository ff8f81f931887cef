import { ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer } from "effect"
import { run } from "../cli/index.js"
import * as Logging from "../observability/Logging.js"
import { reportFailure } from "./reportFailure.js"
import { keepStoppingOnRepeatedSignals } from "./signals.js"

keepStoppingOnRepeatedSignals("dragonfly")

run(process.argv).pipe(
  Effect.tapErrorCause((cause) => reportFailure(cause, ValidationError.isValidationError)),
  Effect.provide(Layer.merge(NodeContext.layer, Logging.layer)),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
