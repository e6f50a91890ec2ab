import { createLogger } from "@shop/platform";
import { kafkaBrokers, uniqueTopicPrefix } from "@shop/testkit";
import { Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { createKafka } from "../src/client.js";
import { ensureTopics } from "../src/topics.js";

// kafkajs 2.2.4 was never tested upstream against Kafka 4.x brokers: this proves the parts we use.
describe("kafkajs against the local Kafka 4 broker", () => {
  it("when a message is produced idempotently, then a group consumer reads it and its offset is committed", async () => {
    const kafka = createKafka({
      brokers: kafkaBrokers(),
      clientId: "smoke",
      logger: createLogger({ service: "smoke", level: "silent" }),
    });
    const topic = `${uniqueTopicPrefix()}smoke`;
    const groupId = `${topic}.group`;
    await ensureTopics(kafka, [{ topic, numPartitions: 3 }]);
    await ensureTopics(kafka, [{ topic, numPartitions: 3 }]); // a second call is a no-op

    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: "order-1", value: "first", headers: { "event-type": "Smoke" } },
        { key: "order-1", value: "second" },
      ],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { value: string; header?: string; partition: number }[] = [];
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          received.push({
            value: String(message.value),
            header: message.headers?.["event-type"]?.toString(),
            partition,
          });
          await consumer.commitOffsets([
            { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
          ]);
          if (received.length === 2) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();

    expect(received.map((r) => r.value)).toEqual(["first", "second"]); // one key, one partition, in order
    expect(received[0]?.header).toBe("Smoke");

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const partition = received[0]!.partition;
    const committed = offsets[0]!.partitions.find((p) => p.partition === partition);
    expect(committed?.offset).toBe("2");
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });
});
