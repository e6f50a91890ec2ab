import { createKafka } from "@shop/kafka";
import { createLogger } from "@shop/platform";
import { kafkaBrokers } from "@shop/testkit";
import { describe, expect, it } from "vitest";
import { warmBroker } from "../src/saga/broker-warmup.js";

describe("broker warm-up", () => {
  it("when it runs, then messages hop from topic to topic and the broker's CPU is counted, and its topic is gone afterwards", async () => {
    const logger = createLogger({ service: "bench-test", level: "warn" });
    const warmup = await warmBroker({ brokers: kafkaBrokers(), logger, seconds: 2, chains: 4 });

    expect(warmup.windows).toHaveLength(1);
    const [window] = warmup.windows;
    expect(window!.seconds).toBeGreaterThanOrEqual(1.9);
    expect(window!.hops).toBeGreaterThan(4);
    expect(window!.kafkaCpuSeconds).toBeGreaterThan(0);

    const admin = createKafka({ brokers: kafkaBrokers(), clientId: "bench-test", logger }).admin();
    await admin.connect();
    try {
      const left = await admin.listTopics();
      for (const topic of warmup.topics) expect(left).not.toContain(topic);
      expect(warmup.topics).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
  }, 30_000);
});
