import { createMetricsRegistry } from "@shop/platform";
import { eventually } from "@shop/testkit";
import { describe, expect, it } from "vitest";
import { createOutboxRelay } from "../src/relay.js";
import { logger, outboxTestFile, paymentFailed } from "./helpers.js";

const file = outboxTestFile(8);
function relay(extra: Partial<Parameters<typeof createOutboxRelay>[0]> = {}) {
  return createOutboxRelay({
    sql: file.sql,
    kafka: file.kafka,
    logger,
    metrics: createMetricsRegistry("t"),
    ...extra,
  });
}

describe("outbox relay", () => {
  it("when the writing transaction rolls back, then its event is never published; a committed one is, woken by the commit", async () => {
    // A poll interval far beyond the test timeout: only the commit can wake the relay.
    const r = relay({ pollIntervalMs: 10 * 60_000 });
    await r.start();
    const before = file.reader.received.length;
    const rolledBack = paymentFailed(1_000_001, 1);
    const committed = paymentFailed(1_000_002, 2);
    await file.sql
      .begin(async (tx) => {
        await file.outbox.enqueue(tx, rolledBack);
        throw new Error("business rule failed");
      })
      .catch(() => {});
    await file.sql.begin((tx) => file.outbox.enqueue(tx, committed));
    await file.reader.until(before + 1);
    await r.stop();

    const ids = file.reader.received.map((m) => m.eventId);
    expect(ids).toContain(committed.eventId);
    expect(ids).not.toContain(rolledBack.eventId);
    const [row] =
      await file.sql`select published_at, attempts from outbox where event_id = ${committed.eventId}`;
    expect(row?.published_at).toBeInstanceOf(Date);
    const got = file.reader.received.find((m) => m.eventId === committed.eventId)!;
    expect(got.key).toBe("1000002");
    expect(got.headers["event-type"]).toBe("PaymentFailed");
    expect(got.headers["event-id"]).toBe(committed.eventId);
  });

  it("when two relays share the table, then every row is published exactly once and in order per aggregate", async () => {
    const events: ReturnType<typeof paymentFailed>[] = [];
    for (let seq = 0; seq < 400; seq++) events.push(paymentFailed(2_000_000 + (seq % 40), seq));
    const before = file.reader.received.length;
    // Written in many small transactions, as services do, while both relays run.
    const a = relay({ batchSize: 25 });
    const b = relay({ batchSize: 25 });
    await Promise.all([a.start(), b.start()]);
    for (let i = 0; i < events.length; i += 10) {
      await file.sql.begin((tx) => file.outbox.enqueue(tx, events.slice(i, i + 10)));
    }
    await file.reader.until(before + events.length);
    await Promise.all([a.stop(), b.stop()]);

    const mine = new Set(events.map((e) => e.eventId));
    const got = file.reader.received.filter((m) => mine.has(m.eventId));
    expect(got).toHaveLength(events.length);
    expect(new Set(got.map((m) => m.eventId)).size).toBe(events.length);
    const byKey = new Map<string, number[]>();
    for (const m of got) byKey.set(m.key, [...(byKey.get(m.key) ?? []), m.seq]);
    for (const seqs of byKey.values()) expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  });

  it("when commits come faster than the shortest round interval, then they go out together, one interval after the last round, and the round metrics show it; an idle relay publishes at once", async () => {
    const intervalMs = 1_000;
    const rounds: { at: number; ids: string[] }[] = [];
    let roundDone = () => {};
    const metrics = createMetricsRegistry("t");
    const r = relay({
      metrics,
      pollIntervalMs: 10 * 60_000,
      minRoundIntervalMs: intervalMs,
      afterPublish: (ids) => {
        rounds.push({ at: performance.now(), ids });
        roundDone();
      },
    });
    const roundWith = async (eventId: string) => {
      for (;;) {
        const round = rounds.find((x) => x.ids.includes(eventId));
        if (round) return round;
        await new Promise<void>((resolve) => (roundDone = resolve));
      }
    };
    await r.start();
    try {
      // Idle for longer than the interval since the start's round: the next commit is not held.
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      const first = paymentFailed(1_500_001, 1);
      const committedAt = performance.now();
      await file.sql.begin((tx) => file.outbox.enqueue(tx, first));
      const firstRound = await roundWith(first.eventId);
      expect(firstRound.at - committedAt).toBeLessThan(intervalMs / 2);

      // Three commits, each waking the relay, while the interval since that round runs.
      const burst = [2, 3, 4].map((seq) => paymentFailed(1_500_001, seq));
      for (const e of burst) await file.sql.begin((tx) => file.outbox.enqueue(tx, e));
      const burstRound = await roundWith(burst[0]!.eventId);
      expect(burstRound.ids).toEqual(expect.arrayContaining(burst.map((e) => e.eventId)));
      // Round starts are an interval apart (less the first round's own work: a few milliseconds).
      expect(burstRound.at - firstRound.at).toBeGreaterThan(intervalMs / 2);
    } finally {
      await r.stop();
    }
    // Every round is counted with its events and its time: one carried the three together.
    // A histogram's values name their series (`_bucket`, `_sum`, `_count`).
    type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };
    const values = async (name: string) => (await metrics.getSingleMetric(name)!.get()).values as Sample[];
    const events = await values("outbox_round_events");
    const count = events.find((v) => v.metricName === "outbox_round_events_count")!.value;
    const upToTwo = events.find((v) => v.labels.le === 2)!.value;
    expect(events.find((v) => v.metricName === "outbox_round_events_sum")!.value).toBeGreaterThanOrEqual(4);
    expect(upToTwo).toBe(count - 1);
    const durations = await values("outbox_round_duration_seconds");
    expect(durations.find((v) => v.metricName === "outbox_round_duration_seconds_count")!.value).toBe(count);
  });

  it("when Kafka keeps rejecting a row, then it is parked with its error and the others still go out", async () => {
    const r = relay({ maxAttempts: 2 });
    // Over the broker's 1 MB message limit: Kafka refuses it whatever we do.
    const huge = paymentFailed(3_000_001, 1);
    await file.sql`
      insert into outbox (event_id, topic, message_key, event_type, payload)
      values (${huge.eventId}, ${file.topic}, '3000001', 'PaymentFailed',
              ${file.sql.json({ ...huge, padding: "x".repeat(1_200_000) } as never)})
    `;
    const fine = paymentFailed(3_000_002, 2);
    await file.sql.begin((tx) => file.outbox.enqueue(tx, fine));
    await r.start();
    await eventually(() => (file.reader.received.some((m) => m.eventId === fine.eventId) ? true : undefined));
    const parked = await eventually(async () => {
      const [row] =
        await file.sql`select parked_at, attempts, last_error from outbox where event_id = ${huge.eventId}`;
      return row?.parked_at ? row : undefined;
    });
    await r.stop();
    expect(parked.attempts).toBe(2);
    expect(String(parked.last_error)).toMatch(/too large|size/i);
    expect(file.reader.received.some((m) => m.eventId === huge.eventId)).toBe(false);
  });

  it("when published rows are older than the retention, then cleanup deletes them and keeps pending ones", async () => {
    const r = relay({ retentionMs: 1_000 });
    const old = paymentFailed(4_000_001, 1);
    const pending = paymentFailed(4_000_002, 2);
    await file.sql.begin((tx) => file.outbox.enqueue(tx, [old, pending]));
    await file.sql`update outbox set published_at = now() - interval '1 hour' where event_id = ${old.eventId}`;
    await file.sql`update outbox set parked_at = now() where event_id = ${pending.eventId}`;
    await r.cleanup();
    const left =
      await file.sql`select event_id from outbox where event_id in (${old.eventId}, ${pending.eventId})`;
    expect(left.map((x) => x.event_id)).toEqual([pending.eventId]);
  });

  it("when scraped, then backlog metrics come from the table", async () => {
    const metrics = createMetricsRegistry("t");
    relay({ metrics });
    await file.sql.begin((tx) => file.outbox.enqueue(tx, paymentFailed(5_000_001, 1)));
    const text = await metrics.metrics();
    expect(text).toMatch(/outbox_pending_rows\{service="t"\} [1-9]/);
    expect(text).toMatch(/outbox_oldest_pending_age_seconds\{service="t"\} \d/);
  });
});
