import { randomBytes } from "node:crypto";
import { topicName } from "@shop/events";
import { createKafka, ensureTopics } from "@shop/kafka";
import type { Logger } from "@shop/platform";

export type TerminalType = "OrderPaid" | "OrderCancelled";

export interface TerminalEvent {
  orderId: number;
  type: TerminalType;
  /** performance.now() when the bench received it. */
  receivedAt: number;
  /** Epoch ms of the event's occurredAt (when the order service wrote it, before its commit). */
  occurredAt: number;
}

const OCCURRED_AT = /"occurredAt":"([^"]+)"/;

/**
 * Watches `<prefix>shop.orders.v1` for the saga's terminal events (key = order id, the relay
 * puts the type in the `event-type` header), so the end of a saga is timed by its own event
 * rather than by polling the API. A fresh consumer group starting at the log's end.
 */
export async function startTerminalWatcher(opts: {
  brokers: string[];
  topicPrefix: string;
  logger: Logger;
  onTerminal: (e: TerminalEvent) => void;
}) {
  const kafka = createKafka({ brokers: opts.brokers, clientId: "bench", logger: opts.logger });
  const topic = topicName("orders", opts.topicPrefix);
  await ensureTopics(kafka, [{ topic }]);
  const consumer = kafka.consumer({
    groupId: `${opts.topicPrefix}bench-${randomBytes(3).toString("hex")}`,
    maxWaitTimeInMs: 50,
    sessionTimeout: 30_000,
  });
  const joined = new Promise<void>((resolve) => {
    const off = consumer.on(consumer.events.GROUP_JOIN, () => {
      off();
      resolve();
    });
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: false });
  await consumer.run({
    // A group of its own that never resumes: committing offsets (kafkajs would after every
    // batch) only adds broker and bench work to the machine being measured.
    autoCommit: false,
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      const receivedAt = performance.now();
      for (const m of batch.messages) {
        const type = m.headers?.["event-type"]?.toString();
        if (type !== "OrderPaid" && type !== "OrderCancelled") continue;
        const at = OCCURRED_AT.exec(m.value?.toString("utf8") ?? "")?.[1];
        opts.onTerminal({
          orderId: Number(m.key?.toString()),
          type,
          receivedAt,
          occurredAt: at ? Date.parse(at) : Number.NaN,
        });
      }
    },
  });
  await joined;
  return { kafka, stop: () => consumer.disconnect() };
}
