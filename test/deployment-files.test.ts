import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
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
})
