import { deadLetterTopic, topicName } from "@shop/events";
import { createKafka, ensureTopics } from "@shop/kafka";
import { createLogger } from "@shop/platform";
import { kafkaBrokers, uniqueTopicPrefix } from "@shop/testkit";
import { describe, expect, it } from "vitest";

const client = (i: number) =>
  createKafka({
    brokers: kafkaBrokers(),
    clientId: `chaos-topics-${i}`,
    logger: createLogger({ service: "chaos", level: "silent" }),
  });
// What each consumer of the saga creates at start: the topics it reads and its dead-letter topic.
const GROUPS = {
  product: ["orders"],
  order: ["inventory", "payments"],
  payment: ["inventory", "orders"],
  notification: ["users", "orders"],
} as const;

/**
 * Found when the whole stack starts on a fresh broker: the services create the saga topics at
 * the same moment, and one of them failed its start with "This server does not host this
 * topic-partition" (the topic exists but its metadata has not reached the broker yet).
 */
describe("several services creating the same topics at once", () => {
  it("when four services ensure their overlapping new topics together, then every one of them succeeds", async () => {
    // A race, hit in some rounds only (here about one run of fifteen rounds in three): forty rounds.
    for (let round = 0; round < 40; round++) {
      const prefix = uniqueTopicPrefix();
      const results = await Promise.allSettled(
        Object.entries(GROUPS).map(([group, keys], i) =>
          ensureTopics(client(i), [
            ...keys.map((k) => ({ topic: topicName(k, prefix) })),
            { topic: deadLetterTopic(group, prefix) },
          ]),
        ),
      );
      const failures = results.filter((r) => r.status === "rejected").map((r) => String(r.reason));
      expect(failures).toEqual([]);
    }
  });
});
