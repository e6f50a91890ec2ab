import { createRequire } from "node:module";
import { createLogger } from "@shop/platform";
import { kafkaBrokers } from "@shop/testkit";
import { Partitioners } from "kafkajs";
import { afterEach, describe, expect, it } from "vitest";
import { createKafka } from "../src/client.js";

// The request queue of every broker connection; kafkajs has no "exports" map, so its files resolve.
const RequestQueue = createRequire(import.meta.url)("kafkajs/src/network/requestQueue/index.js") as {
  prototype: { checkPendingRequests: () => void };
};
const original = RequestQueue.prototype.checkPendingRequests;
afterEach(() => {
  RequestQueue.prototype.checkPendingRequests = original;
});

// kafkajs 2.2.4 re-checked an empty request queue from a 1 ms timer, forever, on every connection
// (tulios/kafkajs#1751): a few percent of a core per connection of an idle service. Patched in
// packages/kafka/patches.
describe("an idle kafkajs client", () => {
  it("when a connected producer has nothing to send, then its connections schedule no checks", async () => {
    let checks = 0;
    RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
      checks++;
      return original.call(this);
    };
    const kafka = createKafka({
      brokers: kafkaBrokers(),
      clientId: "idle",
      logger: createLogger({ service: "idle", level: "silent" }),
    });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const before = checks;
    // An observation window, not a wait for an event: the fault was activity where none is due.
    await new Promise((r) => setTimeout(r, 1_000));
    const during = checks - before;
    await producer.disconnect();
    expect(during).toBeLessThan(10);
  });
});
