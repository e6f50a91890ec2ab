import { CONSUMER_GROUPS, deadLetterTopic, type TopicKey, topicName } from "@shop/events";
import { createKafka, type Kafka } from "@shop/kafka";
import { createLogger } from "@shop/platform";
import type { Stack } from "@shop/testkit";
import postgres from "postgres";

export type DbService = "auth" | "product" | "order" | "payment" | "notification";
export const DB_SERVICES: DbService[] = ["auth", "product", "order", "payment", "notification"];
/** Services whose database has an outbox. */
export const OUTBOX_SERVICES: DbService[] = ["auth", "product", "order", "payment"];
export const SAGA_TOPICS: TopicKey[] = ["orders", "inventory", "payments", "users"];

export type Db = postgres.Sql;

/**
 * Read-only probes of a running stack: a client of each service's database and a Kafka admin of
 * the stack's broker. Every probe may fail while a fault is on; callers retry.
 */
export function createObserver(stack: Stack, brokers: string[], topicPrefix = stack.topicPrefix) {
  const dbs = new Map<DbService, Db>();
  // One connection each: the PostgreSQL server is shared, and its max_connections is small.
  for (const s of DB_SERVICES)
    dbs.set(s, postgres(stack.databaseUrl(s)!, { max: 1, onnotice: () => {}, connect_timeout: 5 }));
  const logger = createLogger({ service: "chaos", level: "silent" });
  const kafka: Kafka = createKafka({ brokers, clientId: `chaos-${stack.runId}`, logger });
  const prefix = topicPrefix;

  const db = (s: DbService) => dbs.get(s)!;

  /** Messages not yet committed by their consumer group, per group. */
  async function consumerLag(): Promise<Record<string, number>> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const lag: Record<string, number> = {};
      for (const [group, keys] of Object.entries(CONSUMER_GROUPS)) {
        const topics = keys.map((k) => topicName(k, prefix));
        const committed = await admin.fetchOffsets({ groupId: `${prefix}${group}`, topics });
        lag[group] = 0;
        for (const t of committed) {
          const ends = await admin.fetchTopicOffsets(t.topic);
          for (const p of t.partitions) {
            const end = ends.find((e) => e.partition === p.partition);
            if (!end) continue;
            const at = p.offset === "-1" ? Number(end.low) : Number(p.offset);
            lag[group] += Math.max(0, Number(end.high) - at);
          }
        }
      }
      return lag;
    } finally {
      await admin.disconnect();
    }
  }

  /** Messages in each group's dead-letter topic. */
  async function deadLetterCounts(): Promise<Record<string, number>> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const counts: Record<string, number> = {};
      for (const group of Object.keys(CONSUMER_GROUPS)) {
        const topic = deadLetterTopic(group, prefix);
        if (!existing.has(topic)) continue;
        const ends = await admin.fetchTopicOffsets(topic);
        const n = ends.reduce((sum, e) => sum + Number(e.high) - Number(e.low), 0);
        if (n > 0) counts[group] = n;
      }
      return counts;
    } finally {
      await admin.disconnect();
    }
  }

  async function nonTerminalOrders(): Promise<number> {
    const [row] = await db("order")`
      select count(*)::int as n from orders where status not in ('PAID', 'CANCELLED')`;
    return row!.n;
  }

  /** Outbox rows not published (pending) or given up on (parked), per service. */
  async function outboxBacklog(): Promise<Record<string, { pending: number; parked: number }>> {
    const out: Record<string, { pending: number; parked: number }> = {};
    for (const s of OUTBOX_SERVICES) {
      const [row] = await db(s)`
        select count(*) filter (where published_at is null and parked_at is null)::int as pending,
               count(*) filter (where parked_at is not null)::int as parked
        from outbox`;
      out[s] = { pending: row!.pending, parked: row!.parked };
    }
    return out;
  }

  return {
    kafka,
    prefix,
    db,
    consumerLag,
    deadLetterCounts,
    nonTerminalOrders,
    outboxBacklog,
    async close() {
      await Promise.all([...dbs.values()].map((d) => d.end({ timeout: 5 })));
    },
  };
}

export type Observer = ReturnType<typeof createObserver>;
