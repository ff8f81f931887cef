import { ConfigError, Data } from "effect"

export interface ConfigProblem {
  readonly variable: string
  readonly problem: string
}

/** The process cannot start: every offending environment variable, each with what is wrong. */
export class InvalidConfiguration extends Data.TaggedError("InvalidConfiguration")<{
  readonly problems: ReadonlyArray<ConfigProblem>
}> {
  override get message() {
    const lines = this.problems.map(({ problem, variable }) => `  ${variable}: ${problem}`)
    return `Invalid configuration (${this.problems.length} problem${this.problems.length === 1 ? "" : "s"}):\n${
      lines.join("\n")
    }`
  }

  static fromConfigError(error: ConfigError.ConfigError): InvalidConfiguration {
    const problems = new Map<string, ConfigProblem>()
    const visit = (e: ConfigError.ConfigError): void => {
      switch (e._op) {
        case "And":
        case "Or":
          visit(e.left)
          visit(e.right)
          return
        case "MissingData":
        case "InvalidData":
        case "SourceUnavailable":
        case "Unsupported": {
          // A refinement of a named config repeats the name in its path.
          const variable = e.path.filter((segment, i) => segment !== e.path[i - 1]).join("_") || "(environment)"
          const problem = e._op !== "MissingData"
            ? e.message
            : e.message.startsWith("required ")
            ? `is missing (${e.message})`
            : "is missing"
          problems.set(`${variable}\u0000${problem}`, { variable, problem })
        }
      }
    }
    visit(error)
    return new InvalidConfiguration({
      problems: [...problems.values()].sort((a, b) => a.variable.localeCompare(b.variable))
    })
  }
}
