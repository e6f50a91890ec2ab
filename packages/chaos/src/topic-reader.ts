import { randomBytes } from "node:crypto";
import type { Kafka, KafkaMessage } from "@shop/kafka";

/**
 * Reads every message of `topics` from the beginning up to their end at the time of the call,
 * without committing anything (a throwaway group).
 */
export async function readToEnd(
  kafka: Kafka,
  topics: string[],
  onMessage: (topic: string, partition: number, message: KafkaMessage) => void | Promise<void>,
  timeoutMs = 120_000,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const remaining = new Map<string, bigint>();
  try {
    const existing = new Set(await admin.listTopics());
    for (const topic of topics.filter((t) => existing.has(t))) {
      for (const o of await admin.fetchTopicOffsets(topic))
        if (BigInt(o.high) > BigInt(o.low)) remaining.set(`${topic}/${o.partition}`, BigInt(o.high));
    }
  } finally {
    await admin.disconnect();
  }
  if (remaining.size === 0) return 0;
  const consumer = kafka.consumer({ groupId: `chaos-reader-${randomBytes(4).toString("hex")}` });
  await consumer.connect();
  let read = 0;
  try {
    await consumer.subscribe({
      topics: [...new Set([...remaining.keys()].map((k) => k.split("/")[0]!))],
      fromBeginning: true,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topics.join(", ")} did not finish in ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const key = `${batch.topic}/${batch.partition}`;
            const end = remaining.get(key);
            if (end === undefined) return;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break;
              await onMessage(batch.topic, batch.partition, m);
              read += 1;
              if (BigInt(m.offset) + 1n >= end) remaining.delete(key);
            }
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return read;
}
