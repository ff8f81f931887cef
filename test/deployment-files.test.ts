import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { createRailwayContext, project, type ServiceNode } from "railway/iac"
import program, { variableGroups } from "../.railway/railway.js"
import { Catalog } from "../src/queue/catalog.js"
import { services } from "../src/services/index.js"
import { projectRoot } from "./support/processes.js"

const read = (path: string) => readFileSync(join(projectRoot, path), "utf8")

/** `name: command` lines of the Procfile. */
const procfile = () =>
  new Map(read("Procfile").split("\n").filter((line) => line.trim() !== "").map((line) => {
    const colon = line.indexOf(":")
    return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()] as const
  }))

/** A key of a Railway TOML file's [deploy] table (strings and numbers are all it uses). */
const deploySetting = (toml: string, key: string) => {
  const deploy = toml.slice(toml.indexOf("[deploy]"))
  const match = new RegExp(`^${key}\\s*=\\s*(.+)$`, "m").exec(deploy)
  return match === null ? undefined : match[1]!.trim().replace(/^"(.*)"$/, "$1")
}

describe("deployment files", () => {
  it("the Procfile runs the API, the migrations and exactly the catalogue's workers", () => {
    const processes = procfile()
    assert.deepStrictEqual(
      [...processes.keys()].sort(),
      ["release", "web", ...Catalog.map((entry) => entry.service)].sort()
    )
    assert.strictEqual(processes.get("web"), "node bin/api.js")
    assert.strictEqual(processes.get("release"), "node bin/dragonfly.js db migrate")
    for (const { service } of Catalog) {
      assert.strictEqual(processes.get(service), `node bin/worker.js ${service}`)
      assert.isDefined(services[service], `bin/worker.js knows ${service}`)
    }
  })

  it("each Railway service file starts what the Procfile starts, and workers get time to drain", () => {
    const processes = procfile()
    const api = read("railway.toml")
    assert.strictEqual(deploySetting(api, "startCommand"), processes.get("web"))
    assert.include(deploySetting(api, "preDeployCommand"), processes.get("release")!)
    for (const { service } of Catalog) {
      const toml = read(`railway/worker-${service}.toml`)
      assert.strictEqual(deploySetting(toml, "startCommand"), processes.get(service))
      // Railway's default is 0 s: SIGKILL on every redeploy, with no drain.
      assert.isAbove(Number(deploySetting(toml, "drainingSeconds")), 20)
    }
  })

  describe(".railway/railway.ts (Railway's Infrastructure as Code)", () => {
    const MB = 1024 * 1024
    // The deployment guide's resource table ("Step 3: Resource Allocation"); comms is not in it.
    const guide: Record<string, { readonly memoryMb: number; readonly replicas: number }> = {
      "dragonfly-api": { memoryMb: 512, replicas: 2 },
      "dragonfly-worker-ingest": { memoryMb: 1024, replicas: 1 },
      "dragonfly-worker-enforcement": { memoryMb: 2048, replicas: 1 },
      "dragonfly-worker-simplicity": { memoryMb: 512, replicas: 1 },
      "dragonfly-worker-score": { memoryMb: 256, replicas: 1 }
    }

    const evaluate = async (repo: string | undefined) => {
      const saved = process.env["DRAGONFLY_REPO"]
      if (repo === undefined) delete process.env["DRAGONFLY_REPO"]
      else process.env["DRAGONFLY_REPO"] = repo
      try {
        const definition = await program(createRailwayContext({ environment: "production" }), project)
        return new Map((definition.resources ?? []).flat().map((node) => [node.name, node as ServiceNode]))
      } finally {
        if (saved === undefined) delete process.env["DRAGONFLY_REPO"]
        else process.env["DRAGONFLY_REPO"] = saved
      }
    }

    const tomlOf = (name: string) =>
      read(name === "dragonfly-api" ? "railway.toml" : `railway/${name.replace("dragonfly-", "")}.toml`)

    it("describes exactly the API and the catalogue's workers, as the TOML files do", async () => {
      const nodes = await evaluate("dragonfly/dragonfly-workers")
      assert.sameMembers([...nodes.keys()], ["dragonfly-api", ...Catalog.map((entry) => `dragonfly-worker-${entry.service}`)])
      const processes = procfile()
      for (const [name, node] of nodes) {
        const toml = tomlOf(name)
        const command = name === "dragonfly-api" ? processes.get("web") : processes.get(name.replace("dragonfly-worker-", ""))
        assert.strictEqual(node.deploy?.startCommand, command, name)
        assert.strictEqual(node.deploy?.startCommand, deploySetting(toml, "startCommand"), name)
        assert.strictEqual(node.deploy?.drainingSeconds, Number(deploySetting(toml, "drainingSeconds")), name)
        assert.strictEqual(node.deploy?.restartPolicyType, deploySetting(toml, "restartPolicyType"), name)
        assert.strictEqual(node.deploy?.restartPolicyMaxRetries, Number(deploySetting(toml, "restartPolicyMaxRetries")), name)
        assert.deepStrictEqual(node.build, { builder: "DOCKERFILE", dockerfilePath: "Dockerfile" }, name)
        assert.deepStrictEqual(node.source, { type: "github", repo: "dragonfly/dragonfly-workers", branch: "main" }, name)
        const sized = guide[name] ?? { memoryMb: 512, replicas: 1 }
        assert.strictEqual(node.deploy?.limitOverride?.containers?.memoryBytes, sized.memoryMb * MB, name)
        assert.strictEqual(node.deploy?.numReplicas, sized.replicas, name)
      }
      const api = nodes.get("dragonfly-api")!
      assert.strictEqual(api.deploy?.healthcheckPath, deploySetting(tomlOf("dragonfly-api"), "healthcheckPath"))
      assert.deepStrictEqual(api.deploy?.preDeployCommand, JSON.parse(deploySetting(tomlOf("dragonfly-api"), "preDeployCommand")!))
      for (const [name, node] of nodes) {
        if (name === "dragonfly-api") continue
        assert.isUndefined(node.deploy?.healthcheckPath, name)
        assert.isUndefined(node.deploy?.preDeployCommand, name)
      }
    })

    it("gives each service the guide's variable groups as shared references, and the AI key to the enforcement worker alone", async () => {
      const nodes = await evaluate("dragonfly/dragonfly-workers")
      const shared = (node: ServiceNode) =>
        Object.entries(node.variables ?? {}).filter(([, value]) => value.type === "sharedReference").map(([name]) => name)
      for (const [name, node] of nodes) {
        const expected = [
          ...variableGroups["dragonfly-shared"],
          ...(name === "dragonfly-api" ? variableGroups["dragonfly-api"] : []),
          ...(name === "dragonfly-worker-enforcement" ? variableGroups["dragonfly-ai"] : [])
        ]
        assert.sameMembers(shared(node), expected, name)
        for (const variable of expected) {
          assert.deepStrictEqual(node.variables?.[variable], { type: "sharedReference", name: variable })
        }
      }
      // Values of a service's own are kept as Railway holds them, never written here.
      assert.deepStrictEqual(nodes.get("dragonfly-worker-comms")!.variables?.["SMTP_URL"], { type: "preserve" })
      assert.deepStrictEqual(nodes.get("dragonfly-worker-enforcement")!.variables?.["COLLECTOR_NAME"], { type: "preserve" })
    })

    it("refuses to describe the services without the repository to build", async () => {
      let message = ""
      await evaluate(undefined).catch((error: Error) => void (message = error.message))
      assert.strictEqual(message, "set DRAGONFLY_REPO to the GitHub repository Railway builds, as owner/name")
    })
  })
})
