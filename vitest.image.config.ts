import { defineConfig } from "vitest/config"

/** `npm run test:image`: the production image, built with Docker from a clean clone of HEAD. */
export default defineConfig({
  test: {
    include: ["test/image/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    pool: "forks",
    maxWorkers: 1,
    minWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 900_000,
    reporters: ["default"]
  }
})
