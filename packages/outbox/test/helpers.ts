import { createEvent, type EventEnvelope } from "@shop/events";
import { createKafka, type Kafka } from "@shop/kafka";
import { createLogger, type Logger } from "@shop/platform";
import type { Consumer } from "kafkajs";

export const logger: Logger = createLogger({ service: "outbox-test", level: "silent" });

export function kafkaAt(brokers: string[]): Kafka {
  return createKafka({
    brokers,
    clientId: "outbox-test",
    logger,
    config: { retry: { retries: 2, initialRetryTime: 100 } },
  });
}

/** A valid event for order `orderId`, tagged so tests can tell events apart. */
export function paymentFailed(orderId: number, seq = 0): EventEnvelope<"PaymentFailed"> {
  return createEvent("PaymentFailed", orderId, {
    orderId,
    userId: "u",
    paymentId: `pay-${seq}`,
    amountCents: 100,
    currency: "USD",
    reason: `seq ${seq}`,
  });
}

export interface Received {
  eventId: string;
  key: string;
  partition: number;
  seq: number;
  headers: Record<string, string>;
}

/** Reads a topic from the beginning into an array; `until` resolves once `n` messages arrived. */
export async function collect(kafka: Kafka, topic: string) {
  const received: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: `${topic}.reader.${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const event = JSON.parse(String(message.value)) as EventEnvelope<"PaymentFailed">;
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      received.push({
        eventId: event.eventId,
        key: String(message.key),
        partition,
        seq: Number(event.payload.reason.split(" ")[1]),
        headers,
      });
      for (const w of waiters) if (received.length >= w.n) w.resolve();
    },
  });
  await joined;
  return {
    received,
    until(n: number): Promise<void> {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    stop: () => consumer.disconnect(),
  };
}
