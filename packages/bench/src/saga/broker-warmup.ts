import { randomBytes } from "node:crypto";
import { createKafka, ensureTopics } from "@shop/kafka";
import type { Logger } from "@shop/platform";
import { Partitioners } from "kafkajs";
import { stackGrouping, startCpuUsage } from "../report/cpu-usage.js";

export interface BrokerWarmupWindow {
  seconds: number;
  /** Hops made: a message produced, fetched by its topic's group, and sent on to the next topic. */
  hops: number;
  /** CPU the broker's process ran in the window (user and system, as the kernel counts it). */
  kafkaCpuSeconds: number | undefined;
}

export interface BrokerWarmup {
  /** The scratch topics, deleted afterwards. */
  topics: string[];
  chains: number;
  /** Consecutive windows: the broker's CPU per hop falls as its JIT compiler finishes. */
  windows: BrokerWarmupWindow[];
}

const WINDOW_SECONDS = 5;

/**
 * Runs the broker's saga paths hot for a while before anything is measured. A broker that has
 * just started runs interpreted and C1 code, and its JIT compiler works through the produce,
 * fetch, purgatory and offset-commit paths for minutes under the saga's load: the first run after
 * `make infra` counted Kafka at 15.6 ms of CPU per saga at 25/s, a run on the same broker seven
 * minutes later 7.3 (FINDINGS.md, tenth pass). A production broker has been running for days,
 * so the saga is measured against a warm one.
 *
 * The saga's shape, many times faster: `chains` messages circulate through three topics of six
 * partitions. An idempotent producer (as the outbox relays use) sends each one; the topic's own
 * consumer group, waiting in a fetch, receives it, commits and sends it on to the next topic;
 * a fourth group reads all three topics, as the notification service and the bench's watcher do.
 */
export async function warmBroker(opts: {
  brokers: string[];
  logger: Logger;
  seconds: number;
  chains?: number;
}): Promise<BrokerWarmup> {
  const chains = opts.chains ?? 16;
  const tag = randomBytes(3).toString("hex");
  const kafka = createKafka({ brokers: opts.brokers, clientId: "bench-warmup", logger: opts.logger });
  const topics = ["a", "b", "c"].map((hop) => `bench.broker-warmup.${tag}.${hop}`);
  await ensureTopics(
    kafka,
    topics.map((topic) => ({ topic })),
  );
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = (name: string) =>
    kafka.consumer({ groupId: `bench-warmup-${tag}-${name}`, maxWaitTimeInMs: 500 });
  const forwarders = topics.map((_, i) => consumer(String(i)));
  const listener = consumer("all");
  const admin = kafka.admin();
  let hops = 0;
  let stopping = false;
  const windows: BrokerWarmupWindow[] = [];
  const send = (topic: string, chain: string) =>
    producer.send({ topic, acks: -1, messages: [{ key: chain, value: String(Date.now()) }] });
  try {
    await Promise.all([
      producer.connect(),
      admin.connect(),
      ...[...forwarders, listener].map((c) => c.connect()),
    ]);
    await Promise.all(forwarders.map((c, i) => c.subscribe({ topics: [topics[i]!], fromBeginning: true })));
    await listener.subscribe({ topics, fromBeginning: true });
    await Promise.all([
      ...forwarders.map((c, i) =>
        c.run({
          partitionsConsumedConcurrently: 3,
          eachMessage: async ({ message }) => {
            hops++;
            if (!stopping) await send(topics[(i + 1) % topics.length]!, message.key!.toString());
          },
        }),
      ),
      listener.run({ partitionsConsumedConcurrently: 3, eachBatch: async () => {} }),
    ]);
    await Promise.all(Array.from({ length: chains }, (_, chain) => send(topics[0]!, String(chain))));
    for (let left = opts.seconds; left > 0; left -= WINDOW_SECONDS) {
      const cpu = startCpuUsage(stackGrouping({}));
      const before = hops;
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, WINDOW_SECONDS) * 1000));
      const used = cpu.stop();
      windows.push({
        seconds: used.wallSeconds,
        hops: hops - before,
        kafkaCpuSeconds: used.groups.Kafka?.seconds,
      });
    }
    return { topics, chains, windows };
  } finally {
    stopping = true;
    await Promise.all([...forwarders, listener].map((c) => c.disconnect().catch(() => {})));
    await producer.disconnect().catch(() => {});
    await admin.deleteTopics({ topics }).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}
