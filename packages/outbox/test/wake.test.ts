import { createMetricsRegistry, createSql, type Sql } from "@shop/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OUTBOX_CHANNEL } from "../src/enqueue.js";
import { createOutboxRelay, RELAY_POOL } from "../src/relay.js";
import { logger, outboxTestFile, paymentFailed } from "./helpers.js";

// How a relay learns of a commit. Every relay here polls every ten minutes, far beyond the test
// timeout: only the wake under test can make it publish in time.
const file = outboxTestFile(4);
/** Hears every NOTIFY on the outbox channel. */
let listener: Sql;
const notifications: string[] = [];

beforeAll(async () => {
  listener = createSql(file.db.url, { max: 1 });
  await listener.listen(OUTBOX_CHANNEL, (payload) => notifications.push(payload));
});
afterAll(async () => {
  await listener?.end({ timeout: 5 });
});

function relay(pool: Sql) {
  return createOutboxRelay({
    sql: pool,
    kafka: file.kafka,
    logger,
    metrics: createMetricsRegistry("t"),
    pollIntervalMs: 10 * 60_000,
  });
}

/** The notifications sent up to now: NOTIFYs reach a listener in commit order, so a marker closes the list. */
async function notificationsSoFar(): Promise<string[]> {
  const marker = `marker-${Math.random()}`;
  await file.sql.notify(OUTBOX_CHANNEL, marker);
  while (!notifications.includes(marker)) await new Promise((r) => setImmediate(r));
  const sent = notifications.splice(0).filter((n) => !n.startsWith("marker-"));
  return sent;
}

async function published(eventId: string): Promise<void> {
  while (!file.reader.received.some((m) => m.eventId === eventId))
    await file.reader.until(file.reader.received.length + 1);
}

describe("outbox wake-up", () => {
  it("when a relay for the database runs in this thread, then a commit wakes it in-process and sends no NOTIFY", async () => {
    const r = relay(file.sql);
    await r.start();
    await notificationsSoFar();
    const e = paymentFailed(6_000_001, 1);
    await file.sql.begin(async (tx) => {
      // Two writes in one transaction: one wake.
      await file.outbox.enqueue(tx, e);
      await file.outbox.enqueue(tx, paymentFailed(6_000_001, 2));
    });
    await published(e.eventId);
    await r.stop();
    expect(await notificationsSoFar()).toEqual([]);
  });

  it("when the relay has a pool of its own, as a service opens it, then a commit on the service's pool still wakes it in-process", async () => {
    const own = createSql(file.db.url, { max: RELAY_POOL.max, settings: RELAY_POOL.settings });
    const r = relay(own);
    await r.start();
    try {
      await notificationsSoFar();
      const e = paymentFailed(6_000_003, 1);
      await file.sql.begin((tx) => file.outbox.enqueue(tx, e));
      await published(e.eventId);
      expect(await notificationsSoFar()).toEqual([]);
    } finally {
      await r.stop();
      await own.end({ timeout: 5 });
    }
  });

  it("when no relay for the database runs in this thread, then the commit's NOTIFY wakes the relay that listens elsewhere", async () => {
    // The relay's pool reaches the database by another address: to the writer it is elsewhere.
    const elsewhere = createSql(file.db.url.replace("127.0.0.1", "localhost"), { max: 2 });
    const r = relay(elsewhere);
    await r.start();
    try {
      await notificationsSoFar();
      const e = paymentFailed(6_000_002, 1);
      await file.sql.begin((tx) => file.outbox.enqueue(tx, e));
      await published(e.eventId);
      expect(await notificationsSoFar()).toEqual([""]);
    } finally {
      await r.stop();
      await elsewhere.end({ timeout: 5 });
    }
  });

  it("when a stopped relay was the only one in this thread, then writers go back to NOTIFY", async () => {
    const r = relay(file.sql);
    await r.start();
    await r.stop();
    await notificationsSoFar();
    await file.sql.begin((tx) => file.outbox.enqueue(tx, paymentFailed(6_000_003, 1)));
    expect(await notificationsSoFar()).toEqual([""]);
  });

  it("when another relay holds an aggregate's lock at the wake, then its rows go out once it lets go, not at the next poll", async () => {
    const r = relay(file.sql);
    await r.start();
    const e = paymentFailed(6_000_004, 1);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // What another relay's claim holds while it publishes: the aggregate's advisory lock.
    const holder = createSql(file.db.url, { max: 1 });
    const holding = holder.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${0x0b0c}, hashtext(${String(e.aggregateId)}))`;
      locked();
      await held;
    });
    try {
      await isLocked;
      // The commit wakes the relay while the lock is held: it has to leave the row.
      await file.sql.begin((tx) => file.outbox.enqueue(tx, e));
      const [pending] = await file.sql`select published_at from outbox where event_id = ${e.eventId}`;
      expect(pending?.published_at).toBeNull();
      release();
      await holding;
      await published(e.eventId);
    } finally {
      release();
      await holding.catch(() => {});
      await r.stop();
      await holder.end({ timeout: 5 });
    }
  });
});
