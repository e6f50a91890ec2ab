import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCommitSignal } from "../src/commit-signal.js";
import { createSql, type Sql } from "../src/db.js";

const server = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const channel = `commit_signal_test_${process.pid}`;
let sql: Sql;
/** Hears every NOTIFY on the channel: a pool the signal does not know, so it never counts as local. */
let ear: Sql;
const heard: string[] = [];

beforeAll(async () => {
  sql = createSql(`${server}/postgres`, { max: 2 });
  ear = createSql(`${server}/postgres`, { max: 1 });
  await ear.listen(channel, (payload) => heard.push(payload));
});
afterAll(async () => {
  await ear.end({ timeout: 5 });
  await sql.end({ timeout: 5 });
});

/** The NOTIFYs sent up to now: they reach a listener in commit order, so a marker closes the list. */
async function notifiesSoFar(): Promise<string[]> {
  const marker = `marker-${Math.random()}`;
  await sql.notify(channel, marker);
  while (!heard.includes(marker)) await new Promise((r) => setImmediate(r));
  return heard.splice(0).filter((n) => !n.startsWith("marker-"));
}

describe("commit signal", () => {
  it("when a listener runs in this thread, then a committed signal wakes it in-process, once per transaction, without NOTIFY", async () => {
    const signal = createCommitSignal(channel);
    let wakes = 0;
    // Before listening: the listener LISTENs too (for writers elsewhere), and would hear the marker.
    await notifiesSoFar();
    const unlisten = await signal.listen(sql, () => wakes++);
    try {
      await sql.begin(async (tx) => {
        await signal.signal(tx);
        await signal.signal(tx);
        expect(wakes).toBe(0);
      });
      expect(wakes).toBe(1);
      await sql
        .begin(async (tx) => {
          await signal.signal(tx);
          throw new Error("rolled back");
        })
        .catch(() => {});
      expect(wakes).toBe(1);
      expect(await notifiesSoFar()).toEqual([]);
    } finally {
      await unlisten();
    }
  });

  it("when no listener runs in this thread, then the signal is a NOTIFY delivered at commit, and none on rollback", async () => {
    const signal = createCommitSignal(channel);
    await notifiesSoFar();
    await sql
      .begin(async (tx) => {
        await signal.signal(tx);
        throw new Error("rolled back");
      })
      .catch(() => {});
    expect(await notifiesSoFar()).toEqual([]);
    await sql.begin((tx) => signal.signal(tx));
    expect(await notifiesSoFar()).toEqual([""]);
  });

  it("when the last local listener has gone, then writers fall back to NOTIFY", async () => {
    const signal = createCommitSignal(channel);
    const unlisten = await signal.listen(sql, () => {});
    await unlisten();
    await notifiesSoFar();
    await sql.begin((tx) => signal.signal(tx));
    expect(await notifiesSoFar()).toEqual([""]);
  });
});
