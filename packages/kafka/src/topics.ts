import type { Kafka } from "kafkajs";

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
}

/** Errors of a topic that another process is creating right now: its metadata is still on the way. */
const IN_FLIGHT =
  /already exists|does not host this topic-partition|leader not available|LEADER_NOT_AVAILABLE|UNKNOWN_TOPIC_OR_PARTITION/i;

/**
 * Creates the topics that do not exist yet (a consumer must not rely on auto-creation at
 * subscribe time). Safe to call from several processes at once: when another one is creating
 * the same topics, this waits until they are there.
 */
export async function ensureTopics(kafka: Kafka, topics: TopicSpec[], defaultPartitions = 6): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t.topic));
        if (missing.length > 0) {
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((t) => ({
              topic: t.topic,
              numPartitions: t.numPartitions ?? defaultPartitions,
            })),
          });
        }
        // Every topic has a leader for every partition before anyone subscribes or produces.
        await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
        return;
      } catch (err) {
        const message = `${(err as Error).message} ${String((err as { type?: string }).type ?? "")}`;
        if (!IN_FLIGHT.test(message) || attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2_000)));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Answers when a broker does: used by readiness checks and start-up waits. */
export async function pingKafka(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}
