import { Config, Context, Effect, Layer } from "effect"
import { InvalidConfiguration } from "./InvalidConfiguration.js"

/** A config section: a Tag whose class also says how to read it from the environment. */
export interface ConfigSection<Id, Shape> extends Context.Tag<Id, Shape> {
  readonly config: Config.Config<Shape>
}

type Identifiers<Sections extends ReadonlyArray<ConfigSection<any, any>>> = Context.Tag.Identifier<Sections[number]>

/**
 * Reads every section in one pass, so a bad environment is reported once with every offending
 * variable rather than one variable per restart.
 */
export const loadSections = <const Sections extends ReadonlyArray<ConfigSection<any, any>>>(
  ...sections: Sections
): Effect.Effect<Context.Context<Identifiers<Sections>>, InvalidConfiguration> =>
  Config.all(sections.map((section): Config.Config<unknown> => section.config)).pipe(
    Effect.mapError(InvalidConfiguration.fromConfigError),
    Effect.map((values) =>
      sections.reduce(
        (context, section, index) => Context.add(context, section, values[index]),
        Context.empty() as Context.Context<Identifiers<Sections>>
      )
    )
  )

export const layer = <const Sections extends ReadonlyArray<ConfigSection<any, any>>>(
  ...sections: Sections
): Layer.Layer<Identifiers<Sections>, InvalidConfiguration> => Layer.effectContext(loadSections(...sections))
