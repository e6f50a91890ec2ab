import type { Kafka } from "@shop/kafka";
import type { IHeaders, KafkaMessage } from "kafkajs";

export interface DeadLetter {
  offset: string;
  partition: number;
  key: string | null;
  reason: string | undefined;
  originalTopic: string | undefined;
  attempts: string | undefined;
  failedAt: string | undefined;
  eventId: string | undefined;
  eventType: string | undefined;
}

const header = (h: IHeaders | undefined, k: string) => (h?.[k] === undefined ? undefined : String(h[k]));

function describe(partition: number, m: KafkaMessage): DeadLetter {
  let eventId: string | undefined;
  let eventType: string | undefined;
  try {
    const v = JSON.parse(String(m.value)) as { eventId?: string; type?: string };
    eventId = v.eventId;
    eventType = v.type;
  } catch {
    // Not JSON: that is usually why it is here.
  }
  return {
    offset: m.offset,
    partition,
    key: m.key ? String(m.key) : null,
    reason: header(m.headers, "dlq-reason"),
    originalTopic: header(m.headers, "dlq-original-topic"),
    attempts: header(m.headers, "dlq-attempts"),
    failedAt: header(m.headers, "dlq-failed-at"),
    eventId,
    eventType,
  };
}

/**
 * Reads a topic from `fromOffsets` (or the beginning) up to its current end, then stops.
 * With `groupId` the read is committed, so the next run continues where this one ended.
 */
async function readToEnd(
  kafka: Kafka,
  topic: string,
  groupId: string,
  commit: boolean,
  onMessage: (partition: number, m: KafkaMessage) => Promise<void>,
) {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  const committed = commit ? await admin.fetchOffsets({ groupId, topics: [topic] }) : [];
  await admin.disconnect();
  const remaining = new Map<number, bigint>();
  for (const p of ends) {
    const start = committed[0]?.partitions.find((c) => c.partition === p.partition)?.offset ?? "-1";
    const from = BigInt(start === "-1" ? p.low : start);
    if (BigInt(p.high) > from) remaining.set(p.partition, BigInt(p.high));
  }
  if (remaining.size === 0) return;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = remaining.get(partition);
          if (end === undefined || BigInt(message.offset) >= end) return;
          await onMessage(partition, message);
          if (commit) {
            await consumer.commitOffsets([{ topic, partition, offset: String(BigInt(message.offset) + 1n) }]);
          }
          if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
          if (remaining.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
}

export async function listDeadLetters(kafka: Kafka, topic: string): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  await readToEnd(kafka, topic, `shop-events.list.${Date.now()}`, false, async (partition, m) => {
    out.push(describe(partition, m));
  });
  return out;
}

/** Republishes each dead letter (headers without the dlq- ones) to its original topic, once. */
export async function replayDeadLetters(kafka: Kafka, topic: string, groupId: string, eventId?: string) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let replayed = 0;
  try {
    // A selective replay must not mark the other letters as replayed: it reads without committing.
    const group = eventId ? `${groupId}.select.${Date.now()}` : groupId;
    await readToEnd(kafka, topic, group, !eventId, async (partition, m) => {
      const letter = describe(partition, m);
      if (!letter.originalTopic || (eventId && letter.eventId !== eventId)) return;
      const headers = Object.fromEntries(
        Object.entries(m.headers ?? {}).filter(([k]) => !k.startsWith("dlq-")),
      );
      await producer.send({
        topic: letter.originalTopic,
        acks: -1,
        messages: [{ key: m.key, value: m.value, headers }],
      });
      replayed += 1;
    });
  } finally {
    await producer.disconnect();
  }
  return replayed;
}
