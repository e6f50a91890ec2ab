import { topicName } from "@shop/events";
import { Partitioners } from "kafkajs";
import type { Observer } from "./observer.js";
import { OUTBOX_SERVICES, SAGA_TOPICS } from "./observer.js";
import { readToEnd } from "./topic-reader.js";

/** Publishes again every message ever written to the saga topics, keys, values and headers unchanged. */
export async function replayAllSagaTopics(observer: Observer): Promise<number> {
  const producer = observer.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const topics = SAGA_TOPICS.map((k) => topicName(k, observer.prefix));
    let batch: { topic: string; key: Buffer | null; value: Buffer | null; headers: unknown }[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const byTopic = new Map<string, typeof batch>();
      for (const m of batch) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, ms]) => ({
          topic,
          messages: ms.map((m) => ({ key: m.key, value: m.value, headers: m.headers as never })),
        })),
      });
      batch = [];
    };
    const copied = await readToEnd(observer.kafka, topics, async (topic, _partition, m) => {
      batch.push({ topic, key: m.key, value: m.value, headers: m.headers });
      if (batch.length >= 500) await flush();
    });
    await flush();
    return copied;
  } finally {
    await producer.disconnect();
  }
}

/** The state the saga leaves behind: replaying events must not change a row of it. */
export async function snapshotState(observer: Observer) {
  const o = observer;
  const outboxRows: Record<string, number> = {};
  for (const s of OUTBOX_SERVICES) {
    const [row] = await o.db(s)`select count(*)::int as n from outbox`;
    outboxRows[s] = row!.n;
  }
  return {
    products: [...(await o.db("product")`select id::text, stock, reserved, sold from products order by id`)],
    reservations: [
      ...(await o.db("product")`select order_id::int, status from order_reservations order by order_id`),
    ],
    orders: [...(await o.db("order")`select id::int, status, cancel_reason from orders order by id`)],
    payments: [
      ...(await o.db(
        "payment",
      )`select order_id::int, status, amount_cents::int from payments order by order_id`),
    ],
    notifications: [
      ...(await o.db("notification")`
        select order_id::int, type, channel, count(*)::int as n from notifications
        group by order_id, type, channel order by order_id, type, channel`),
    ],
    outboxRows,
  };
}

export type StateSnapshot = Awaited<ReturnType<typeof snapshotState>>;

/** The first differences between two snapshots, by table. */
export function diffSnapshots(before: StateSnapshot, after: StateSnapshot): string[] {
  const diffs: string[] = [];
  for (const key of Object.keys(before) as (keyof StateSnapshot)[]) {
    const a = JSON.stringify(before[key]);
    const b = JSON.stringify(after[key]);
    if (a === b) continue;
    if (Array.isArray(before[key]) && Array.isArray(after[key])) {
      const xs = before[key] as unknown[];
      const ys = after[key] as unknown[];
      const i = xs.findIndex((x, k) => JSON.stringify(x) !== JSON.stringify(ys[k]));
      diffs.push(
        `${key}: ${xs.length} -> ${ys.length} rows; first change ${JSON.stringify(xs[i] ?? null)} -> ${JSON.stringify(ys[i >= 0 ? i : xs.length] ?? null)}`,
      );
    } else diffs.push(`${key}: ${a} -> ${b}`);
  }
  return diffs;
}
