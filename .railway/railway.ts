// Railway's Infrastructure as Code for the six Dragonfly services (`railway config plan`, then
// `railway config apply`; Railway CLI 5.42.1 or newer). The CLI runs this file with Node's type
// stripping, so it imports nothing of the project's: test/deployment-files.test.ts holds it to the
// catalogue in code (src/queue/catalog.ts), the Procfile and the railway.toml files, which Railway
// still reads for services not yet migrated to IaC.
import { defineRailway, github, preserve, service } from "railway/iac"
import type { RailwayContext, VariableValue } from "railway/iac"

/**
 * The deployment guide's shared variable groups. Railway's shared variables belong to the
 * environment (Project Settings → Shared Variables, values set there once); each service here
 * references the groups it needs.
 */
export const variableGroups = {
  "dragonfly-shared": [
    "SUPABASE_URL",
    "SUPABASE_SERVICE_ROLE_KEY",
    "SUPABASE_DB_URL",
    "SUPABASE_MODE",
    "ENVIRONMENT",
    "DISCORD_WEBHOOK_URL"
  ],
  "dragonfly-api": ["DRAGONFLY_API_KEY", "DRAGONFLY_CORS_ORIGINS"],
  "dragonfly-ai": ["OPENAI_API_KEY"]
} as const

type VariableGroup = keyof typeof variableGroups

const MB = 1024 * 1024

interface DragonflyService {
  readonly name: string
  readonly start: string
  readonly groups: ReadonlyArray<VariableGroup>
  /** Variables of this service alone, whose values are set on the service in Railway and kept. */
  readonly own?: ReadonlyArray<string>
  /** Variables whose values this file sets. */
  readonly values?: Readonly<Record<string, string>>
  /** The guide's resource table (comms, absent from it, gets what simplicity gets). */
  readonly memoryMb: number
  readonly replicas: number
  /** Seconds between SIGTERM and SIGKILL (Railway's default of 0 kills a draining worker). */
  readonly drainingSeconds: number
}

const COLLECTOR = ["COLLECTOR_NAME", "COLLECTOR_ADDRESS", "COLLECTOR_PHONE", "COLLECTOR_EMAIL"]

// A worker drains within WORKER_SHUTDOWN_GRACE (20 s) and hands back what is left.
const WORKER_DRAINING_SECONDS = 30

const worker = (
  name: string,
  settings: Pick<DragonflyService, "memoryMb" | "replicas"> & Partial<Pick<DragonflyService, "groups" | "own">>
): DragonflyService => ({
  name: `dragonfly-worker-${name}`,
  start: `node bin/worker.js ${name}`,
  groups: ["dragonfly-shared", ...(settings.groups ?? [])],
  own: settings.own ?? [],
  // Shown in the heartbeats, so that `monitor workers` tells old replicas from new ones.
  values: { WORKER_VERSION: "${{RAILWAY_GIT_COMMIT_SHA}}" },
  memoryMb: settings.memoryMb,
  replicas: settings.replicas,
  drainingSeconds: WORKER_DRAINING_SECONDS
})

export const api: DragonflyService = {
  name: "dragonfly-api",
  start: "node bin/api.js",
  groups: ["dragonfly-shared", "dragonfly-api"],
  own: COLLECTOR,
  memoryMb: 512,
  replicas: 2,
  // It stops accepting and finishes the requests in flight.
  drainingSeconds: 15
}

export const workers: ReadonlyArray<DragonflyService> = [
  worker("ingest", { memoryMb: 1024, replicas: 1 }),
  worker("simplicity", { memoryMb: 512, replicas: 1 }),
  worker("score", { memoryMb: 256, replicas: 1 }),
  worker("enforcement", { memoryMb: 2048, replicas: 1, groups: ["dragonfly-ai"], own: COLLECTOR }),
  worker("comms", {
    memoryMb: 512,
    replicas: 1,
    own: ["SMTP_URL", "COMMS_EMAIL_FROM", "SMS_API_URL", "SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM"]
  })
]

export const preDeployCommand = "node bin/dragonfly.js db migrate"

const variables = (ctx: RailwayContext, definition: DragonflyService): Record<string, VariableValue> => ({
  ...Object.fromEntries(
    definition.groups.flatMap((group) => variableGroups[group]).map((name): [string, VariableValue] => [name, ctx.shared[name]])
  ),
  ...Object.fromEntries((definition.own ?? []).map((name): [string, VariableValue] => [name, preserve()])),
  ...Object.fromEntries(
    Object.entries(definition.values ?? {}).map(([name, value]): [string, VariableValue] => [name, { type: "literal", value }])
  )
})

/** The GitHub repository Railway builds from (DRAGONFLY_REPO=owner/name, DRAGONFLY_BRANCH). */
const source = () => {
  const repo = process.env["DRAGONFLY_REPO"]
  if (repo === undefined || !/^[\w.-]+\/[\w.-]+$/.test(repo)) {
    throw new Error("set DRAGONFLY_REPO to the GitHub repository Railway builds, as owner/name")
  }
  return github(repo, { branch: process.env["DRAGONFLY_BRANCH"] ?? "main" })
}

export default defineRailway((ctx, project) => {
  const repository = source()
  const define = (definition: DragonflyService, extra: { readonly healthcheck?: string; readonly preDeploy?: string } = {}) =>
    service(definition.name, {
      source: repository,
      build: { builder: "DOCKERFILE", dockerfilePath: "Dockerfile" },
      start: definition.start,
      replicas: definition.replicas,
      ...(extra.healthcheck === undefined ? {} : { healthcheck: extra.healthcheck, healthcheckTimeout: 60 }),
      ...(extra.preDeploy === undefined ? {} : { preDeploy: extra.preDeploy }),
      deploy: {
        restartPolicyType: "ON_FAILURE",
        restartPolicyMaxRetries: 10,
        drainingSeconds: definition.drainingSeconds,
        limitOverride: { containers: { memoryBytes: definition.memoryMb * MB } }
      },
      env: variables(ctx, definition)
    })
  return project("dragonfly", {
    resources: [
      // Migrations run before each deploy of the API, the service every deploy includes; they are
      // safe to run again and concurrently.
      define(api, { healthcheck: "/health", preDeploy: preDeployCommand }),
      ...workers.map((definition) => define(definition))
    ]
  })
})
