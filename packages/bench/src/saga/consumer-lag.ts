import { CONSUMER_GROUPS, topicName } from "@shop/events";
import type { Kafka } from "@shop/kafka";

/**
 * Messages the services' consumer groups have not committed yet, summed over the saga topics.
 * A backlog left by an overloaded step (e.g. sales still queued behind new reservations) would
 * slow the next measurement down; this is how the bench sees it.
 */
export async function sagaConsumerLag(kafka: Kafka, prefix: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, Map<number, bigint>>();
    let lag = 0n;
    for (const [group, keys] of Object.entries(CONSUMER_GROUPS)) {
      const topics = keys.map((k) => topicName(k, prefix));
      const committed = await admin.fetchOffsets({ groupId: `${prefix}${group}`, topics });
      for (const { topic, partitions } of committed) {
        if (!ends.has(topic)) {
          const offsets = await admin.fetchTopicOffsets(topic);
          ends.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
        }
        for (const p of partitions) {
          const high = ends.get(topic)!.get(p.partition) ?? 0n;
          const done = BigInt(p.offset) < 0n ? 0n : BigInt(p.offset);
          if (high > done) lag += high - done;
        }
      }
    }
    return Number(lag);
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the consumer groups have caught up (or `maxMs` passed); returns the lag left. */
export async function waitForConsumers(kafka: Kafka, prefix: string, maxMs: number): Promise<number> {
  const deadline = performance.now() + maxMs;
  for (;;) {
    const lag = await sagaConsumerLag(kafka, prefix).catch(() => -1);
    if (lag === 0 || performance.now() > deadline) return lag;
    await new Promise((r) => setTimeout(r, 500));
  }
}
