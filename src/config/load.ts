import { Config, Context, Effect, Layer } from "effect"
import { InvalidConfiguration } from "./InvalidConfiguration.js"

/** A config section: a Tag whose class also says how to read it from the environment. */
export interface ConfigSection {
  readonly key: string
  readonly Identifier: unknown
  readonly Service: unknown
  readonly config: Config.Config<any>
}

type Identifiers<Sections extends ReadonlyArray<ConfigSection>> = Sections[number]["Identifier"]

/**
 * Reads every section in one pass, so a bad environment is reported once with every offending
 * variable rather than one variable per restart.
 */
export const loadSections = <const Sections extends ReadonlyArray<ConfigSection>>(
  ...sections: Sections
): Effect.Effect<Context.Context<Identifiers<Sections>>, InvalidConfiguration> =>
  Config.all(sections.map((section): Config.Config<unknown> => section.config)).pipe(
    Effect.mapError(InvalidConfiguration.fromConfigError),
    Effect.map((values) =>
      sections.reduce(
        (context, section, index) =>
          Context.add(context, section as unknown as Context.Tag<unknown, unknown>, values[index]),
        Context.empty() as Context.Context<Identifiers<Sections>>
      )
    )
  )

export const layer = <const Sections extends ReadonlyArray<ConfigSection>>(
  ...sections: Sections
): Layer.Layer<Identifiers<Sections>, InvalidConfiguration> => Layer.effectContext(loadSections(...sections))
