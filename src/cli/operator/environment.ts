import { Command, Options } from "@effect/cli"
import { Context, Data, Effect, Option, type Types } from "effect"
import {
  DatabaseConfig,
  type InvalidConfiguration,
  loadSections,
  type SupabaseMode,
  SupabaseModes
} from "../../config/index.js"

/** `--env prod` while the environment points at the dev project (or the other way round). */
export class WrongEnvironment extends Data.TaggedError("WrongEnvironment")<{
  readonly wanted: SupabaseMode
  readonly actual: SupabaseMode
}> {
  override get message() {
    return `--env ${this.wanted}, but SUPABASE_MODE is '${this.actual}': refusing to act on the ${this.actual} project`
  }
}

/** The guide's `--env prod`: the project the operator means, checked against `SUPABASE_MODE`. */
export const envOption = Options.choice("env", SupabaseModes).pipe(
  Options.optional,
  Options.withDescription("The project you mean (dev or prod); the command refuses to run unless SUPABASE_MODE says the same")
)

/** Runs `self` only when `--env`, if given, matches `SUPABASE_MODE`. */
export const inEnvironment = <A, E, R>(
  wanted: Option.Option<SupabaseMode>,
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E | WrongEnvironment | InvalidConfiguration, R> =>
  Option.match(wanted, {
    onNone: () => self,
    onSome: (mode) =>
      Effect.flatMap(loadSections(DatabaseConfig), (context): Effect.Effect<A, E | WrongEnvironment, R> => {
        const actual = Context.get(context, DatabaseConfig).supabaseMode
        return actual === mode ? self : Effect.fail(new WrongEnvironment({ wanted: mode, actual }))
      })
  })

/** `Command.make` for a command that acts on a database: it takes `--env` and checks it first. */
export const operatorCommand = <Name extends string, const Config extends Command.Command.Config, R, E>(
  name: Name,
  config: Config,
  handler: (options: Types.Simplify<Command.Command.ParseConfig<Config>>) => Effect.Effect<void, E, R>
) =>
  Command.make(name, { ...config, env: envOption }, (options) => {
    const { env, ...rest } = options as unknown as Types.Simplify<Command.Command.ParseConfig<Config>> & {
      readonly env: Option.Option<SupabaseMode>
    }
    return inEnvironment(env, handler(rest as unknown as Types.Simplify<Command.Command.ParseConfig<Config>>))
  })
