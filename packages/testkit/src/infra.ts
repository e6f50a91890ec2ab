import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";

/** Kafka brokers for tests (`KAFKA_BROKERS`, default the local broker). */
export function kafkaBrokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",").map((s) => s.trim());
}

/** A topic prefix of its own per test file, so parallel files never read each other's events. */
export function uniqueTopicPrefix(): string {
  return `t${randomBytes(4).toString("hex")}.`;
}

/**
 * Deletes the topics and consumer groups named with `prefix` (a `uniqueTopicPrefix`), so that a
 * long-lived local broker does not collect the partitions of every run (about 2,800 after a day
 * of test and benchmark runs here). Best effort: a failure leaves them for later.
 */
export async function dropTopics(prefix: string): Promise<void> {
  if (!/^t[0-9a-f]{8}\.$/.test(prefix)) throw new Error(`not a test topic prefix: ${prefix}`);
  const admin = new Kafka({
    brokers: kafkaBrokers(),
    clientId: "testkit-cleanup",
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups);
  } catch {
    // Left for the next cleanup, or for a fresh broker.
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export function redisUrl(): string {
  return process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
}

/** A short random suffix for emails, SKUs and other unique test data. */
export function uid(): string {
  return randomBytes(6).toString("hex");
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
