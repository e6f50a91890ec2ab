import { createSql, type Sql } from "@shop/platform";
import { createTestDatabase, type TestDatabase } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RELAY_POOL } from "../src/relay.js";

// The relay's connections keep one plan per statement, made from the statistics of the moment it
// was made; the plan must still find rows through the indexes once the outbox has grown.
let db: TestDatabase;
let writer: Sql;
let relay: Sql;

beforeAll(async () => {
  db = await createTestDatabase("payment");
  writer = createSql(db.url, { max: 1 });
  relay = createSql(db.url, { max: 1, settings: RELAY_POOL.settings });
});
afterAll(async () => {
  await relay?.end({ timeout: 5 });
  await writer?.end({ timeout: 5 });
  await db?.drop();
});

/** Marks rows as the relay does, and reports how this transaction scanned the outbox. */
async function mark(ids: number[]) {
  return relay.begin(async (tx) => {
    await tx`update outbox set published_at = now(), attempts = attempts + 1 where id = any(${ids}::bigint[])`;
    const [scans] = await tx<{ seq: number; idx: number }[]>`
      select seq_scan::int as seq, idx_scan::int as idx from pg_stat_xact_user_tables where relname = 'outbox'
    `;
    return scans!;
  });
}

describe("the relay's pool", () => {
  it("when its statement was planned on an empty outbox, then after the outbox grew it is not planned again and still uses an index", async () => {
    await writer`analyze outbox`;
    for (let i = 0; i < 10; i++) await mark([1]);
    const [rows] = await writer<{ first: number }[]>`
      with added as (
        insert into outbox (event_id, topic, message_key, event_type, payload)
        select gen_random_uuid(), 't', (i % 100)::text, 'PaymentFailed', '{}' from generate_series(1, 20000) i
        returning id
      )
      select min(id)::int as first from added
    `;
    const ids = Array.from({ length: 500 }, (_, i) => rows!.first + i);

    const scans = await mark(ids);

    expect(scans.seq).toBe(0);
    expect(scans.idx).toBeGreaterThan(0);
    const [plans] = await relay<{ generic: number; custom: number }[]>`
      select generic_plans::int as generic, custom_plans::int as custom
      from pg_prepared_statements where statement like 'update outbox set published_at%'
    `;
    // Planned once: the cached plan served the later runs.
    expect(plans!.generic).toBeGreaterThanOrEqual(6);
    expect(plans!.custom).toBeLessThanOrEqual(5);
    const [published] = await writer<{ n: number }[]>`
      select count(*)::int as n from outbox where published_at is not null
    `;
    expect(published!.n).toBe(500);
  });
});
