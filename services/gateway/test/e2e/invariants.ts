import { CONSUMER_GROUPS } from "@shop/events";
import { createKafka } from "@shop/kafka";
import { createLogger } from "@shop/platform";
import { kafkaBrokers } from "@shop/testkit";
import postgres from "postgres";
import { inject } from "vitest";

const logger = createLogger({ service: "e2e", level: "silent" });
export const kafka = createKafka({ brokers: kafkaBrokers(), clientId: "e2e", logger });

/** A client of one service's database in the running stack, for checking invariants. */
export function db(service: "product" | "order" | "payment" | "notification") {
  return postgres(inject("databases")[service]!, { max: 2, onnotice: () => {} });
}

export const SAGA_TOPICS = ["shop.orders.v1", "shop.inventory.v1", "shop.payments.v1", "shop.users.v1"];
export const GROUPS = Object.keys(CONSUMER_GROUPS);

/** Resolves once every consumer group has committed up to the end of every saga topic it reads. */
export async function waitForQuiet(timeoutMs = 60_000): Promise<void> {
  const prefix = inject("topicPrefix");
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      let lagging = 0;
      for (const group of GROUPS) {
        const committed = await admin.fetchOffsets({ groupId: `${prefix}${group}` });
        for (const t of committed) {
          const ends = await admin.fetchTopicOffsets(t.topic);
          for (const p of t.partitions) {
            const end = ends.find((e) => e.partition === p.partition)!;
            const at = p.offset === "-1" ? Number(end.low) : Number(p.offset);
            lagging += Number(end.high) - at;
          }
        }
      }
      if (lagging === 0) return;
      if (Date.now() > deadline) throw new Error(`consumers still ${lagging} messages behind`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Publishes again every message ever written to the saga topics, keys, values and headers unchanged. */
export async function replayAllSagaTopics(): Promise<number> {
  const prefix = inject("topicPrefix");
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, Map<number, bigint>>();
  for (const t of SAGA_TOPICS) {
    const offsets = await admin.fetchTopicOffsets(`${prefix}${t}`);
    ends.set(
      `${prefix}${t}`,
      new Map(
        offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]),
      ),
    );
  }
  await admin.disconnect();
  const remaining = [...ends.values()].reduce((n, m) => n + m.size, 0);
  if (remaining === 0) return 0;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${prefix}replayer-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [...ends.keys()], fromBeginning: true });
  let copied = 0;
  let open = remaining;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ topic, partition, message }) => {
          const end = ends.get(topic)?.get(partition);
          if (end === undefined || BigInt(message.offset) >= end) return;
          await producer.send({
            topic,
            acks: -1,
            messages: [{ key: message.key, value: message.value, headers: message.headers }],
          });
          copied += 1;
          if (BigInt(message.offset) + 1n === end) {
            ends.get(topic)!.delete(partition);
            open -= 1;
            if (open === 0) resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  await producer.disconnect();
  return copied;
}
