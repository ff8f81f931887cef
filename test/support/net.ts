import { Effect } from "effect"
import * as Net from "node:net"

/** A port nothing listens on: bound, then released. */
export const closedPort = Effect.async<number>((resume) => {
  const server = Net.createServer().listen(0, "127.0.0.1", () => {
    const { port } = server.address() as Net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})
