import type { Kafka } from "kafkajs";

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
}

/**
 * Creates the topics that do not exist yet (a consumer must not rely on auto-creation at
 * subscribe time). Safe to call from several processes at once.
 */
export async function ensureTopics(kafka: Kafka, topics: TopicSpec[], defaultPartitions = 6): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.numPartitions ?? defaultPartitions })),
    });
  } catch (err) {
    // Another process created the same topic first.
    if (!/already exists/i.test(String((err as Error).message))) throw err;
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
