import { queueName, type QueueName } from "./QueueName.js"

/** Where rejected jobs go, with the reason; see DeadLetter. */
export const DEAD_LETTER_QUEUE = queueName("dead_letter")

/** What a service consumes: one queue, or every queue whose name starts with a family prefix. */
export type Consumes =
  | { readonly _tag: "Queue"; readonly queue: QueueName }
  | { readonly _tag: "Family"; readonly prefix: string }

export interface ServiceQueues {
  readonly service: string
  readonly consumes: Consumes
  /** Queues created by migrations for this service. */
  readonly queues: ReadonlyArray<QueueName>
}

/** The service catalogue of DESIGN.md: which queues exist and who consumes them. */
export const Catalog: ReadonlyArray<ServiceQueues> = [
  {
    service: "ingest",
    consumes: { _tag: "Queue", queue: queueName("ingest_raw") },
    queues: [queueName("ingest_raw")]
  },
  {
    service: "simplicity",
    consumes: { _tag: "Family", prefix: "simplicity_" },
    queues: [queueName("simplicity_import")]
  },
  {
    service: "score",
    consumes: { _tag: "Queue", queue: queueName("score_collectability") },
    queues: [queueName("score_collectability")]
  },
  {
    service: "enforcement",
    consumes: { _tag: "Family", prefix: "enforcement_" },
    queues: [queueName("enforcement_plan"), queueName("enforcement_draft")]
  },
  {
    service: "comms",
    consumes: { _tag: "Queue", queue: queueName("comms_outbound") },
    queues: [queueName("comms_outbound")]
  }
]

/** Every queue the migrations create, the dead-letter queue included. */
export const catalogQueues: ReadonlyArray<QueueName> = [...Catalog.flatMap((entry) => entry.queues), DEAD_LETTER_QUEUE]

export const isConsumedBy = (consumes: Consumes, queue: string) =>
  consumes._tag === "Queue" ? consumes.queue === queue : queue.startsWith(consumes.prefix)
