import { type EventEnvelope, topicName, topicOf } from "@shop/events";

/** What `publishEvents` needs of a producer (a kafkajs `Producer` is one). */
export interface RecordSender {
  send(record: { topic: string; acks: number; messages: { key: string; value: string }[] }): Promise<unknown>;
}

/**
 * Publishes saga events as a relay would: each to its topic (with the test's prefix), keyed by
 * its aggregate id, in the given order within a topic, acknowledged by every replica.
 */
export async function publishEvents(
  producer: RecordSender,
  topicPrefix: string,
  events: EventEnvelope | EventEnvelope[],
): Promise<void> {
  const byTopic = new Map<string, { key: string; value: string }[]>();
  for (const event of Array.isArray(events) ? events : [events]) {
    const topic = topicName(topicOf[event.type], topicPrefix);
    const messages = byTopic.get(topic) ?? [];
    messages.push({ key: event.aggregateId, value: JSON.stringify(event) });
    byTopic.set(topic, messages);
  }
  await Promise.all([...byTopic].map(([topic, messages]) => producer.send({ topic, acks: -1, messages })));
}
