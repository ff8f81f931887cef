import { Context, Layer } from "effect"
import { randomBytes } from "node:crypto"
import { hostname } from "node:os"

export interface WorkerIdentityShape {
  /** Unique per process start: `<service>-<host>-<pid>-<random>`. */
  readonly workerId: string
  readonly service: string
  readonly host: string
  readonly pid: number
  readonly startedAt: Date
  /**
   * Whether this process's database sessions carry `workerId` as their application_name (a
   * direct connection, not a transaction pooler): the monitor then tells a stuck worker, which
   * still holds its sessions, from one that is gone.
   */
  readonly sessionsNamed: boolean
}

/** Who this process is, for heartbeats, dead letters, the ledger and alerts. */
export class WorkerIdentity extends Context.Tag("runtime/WorkerIdentity")<WorkerIdentity, WorkerIdentityShape>() {
  static readonly make = (service: string, options?: { readonly sessionsNamed?: boolean }): WorkerIdentityShape => {
    const host = hostname()
    return {
      workerId: `${service}-${host}-${process.pid}-${randomBytes(3).toString("hex")}`,
      service,
      host,
      pid: process.pid,
      startedAt: new Date(),
      sessionsNamed: options?.sessionsNamed ?? false
    }
  }

  static readonly layer = (service: string) => Layer.sync(WorkerIdentity, () => WorkerIdentity.make(service))
}
