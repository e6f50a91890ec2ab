import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createLogger, createMetricsRegistry, createRedis, type Redis } from "@shop/platform";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { formatProductChange, type ProductChange } from "../src/product-changes.js";
import { createNearCache, type NearCache } from "../src/product-near-cache.js";

// Not from @shop/testkit, which depends on this package.
const redisUrl = () => process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const uid = () => randomUUID().slice(0, 8);

interface P {
  id: string;
  version: number;
  stock: number;
}

let redis: Redis;
const opened: NearCache<P>[] = [];

beforeAll(async () => {
  redis = createRedis(redisUrl());
  await once(redis, "ready");
});
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});
afterAll(async () => {
  await redis.quit();
});

/** A cache on a channel of its own, subscribed, with a publisher that waits until it has applied the change. */
async function open({ ttlMs = 60_000, now }: { ttlMs?: number; now?: () => number } = {}) {
  const channel = `test:product-changes:${uid()}`;
  const connectionName = `near-cache-${uid()}`;
  const cache = createNearCache<P>({
    redis,
    channel,
    ttlMs,
    maxEntries: 100,
    metricPrefix: "gateway",
    connectionName,
    ...(now ? { now } : {}),
    logger: createLogger({ service: "gateway", level: "silent" }),
    metrics: createMetricsRegistry("gateway"),
  });
  opened.push(cache);
  await once(cache.events, "subscribed");
  return {
    cache,
    channel,
    connectionName,
    async announce(change: ProductChange) {
      const applied = once(cache.events, "change");
      await redis.publish(channel, formatProductChange(change));
      await applied;
    },
  };
}

/** A catalog read that counts its calls and answers what `current` holds. */
function catalog(initial: P) {
  const state = { current: initial, calls: 0 };
  return Object.assign(state, {
    read: async () => {
      state.calls += 1;
      return { ...state.current };
    },
  });
}

/** A read that answers only when told to, to hold it in flight. */
function held<T>() {
  let answer!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    answer = resolve;
  });
  return { read: () => promise, answer };
}

describe("the product near cache", () => {
  it("when a product is read twice, then the catalog is asked once; after its change is announced, it is asked again and the new version is served", async () => {
    const { cache, announce } = await open();
    const id = uid();
    const source = catalog({ id, version: 1, stock: 10 });

    expect(await cache.get(id, source.read)).toEqual({ id, version: 1, stock: 10 });
    expect(await cache.get(id, source.read)).toEqual({ id, version: 1, stock: 10 });
    expect(source.calls).toBe(1);

    source.current = { id, version: 2, stock: 9 };
    await announce({ id, version: 2 });
    expect(await cache.get(id, source.read)).toEqual({ id, version: 2, stock: 9 });
    expect(source.calls).toBe(2);
  });

  it("when a change is announced before the catalog commits it, then the older version read meanwhile is served but not kept", async () => {
    const { cache, announce } = await open();
    const id = uid();
    const source = catalog({ id, version: 4, stock: 3 });
    await announce({ id, version: 5 });

    expect((await cache.get(id, source.read)).version).toBe(4);
    expect((await cache.get(id, source.read)).version).toBe(4);
    expect(source.calls).toBe(2);

    source.current = { id, version: 5, stock: 2 };
    expect((await cache.get(id, source.read)).version).toBe(5);
    expect((await cache.get(id, source.read)).version).toBe(5);
    expect(source.calls).toBe(3);
  });

  it("when a change is announced while a read is in flight, then that read's answer is not kept, whatever its version", async () => {
    const { cache, announce } = await open();
    const id = uid();
    const slow = held<P>();
    const first = cache.get(id, slow.read);
    await announce({ id, version: 7 });
    slow.answer({ id, version: 7, stock: 1 }); // could have been read before the change
    expect((await first).version).toBe(7);

    const source = catalog({ id, version: 7, stock: 1 });
    await cache.get(id, source.read);
    expect(source.calls).toBe(1);
  });

  it("when many requests miss one product at once, then they share one catalog read", async () => {
    const { cache } = await open();
    const id = uid();
    const slow = held<P>();
    let calls = 0;
    const read = () => {
      calls += 1;
      return slow.read();
    };
    const waiting = Array.from({ length: 5 }, () => cache.get(id, read));
    slow.answer({ id, version: 1, stock: 5 });
    expect(await Promise.all(waiting)).toEqual(Array(5).fill({ id, version: 1, stock: 5 }));
    expect(calls).toBe(1);
  });

  it("when a request arrives after an announcement, then it does not join a read that began before it", async () => {
    const { cache, announce } = await open();
    const id = uid();
    const slow = held<P>();
    const before = cache.get(id, slow.read);
    await announce({ id, version: 2 });
    const after = cache.get(id, async () => ({ id, version: 2, stock: 4 }));
    slow.answer({ id, version: 1, stock: 5 });
    expect((await before).version).toBe(1);
    expect((await after).version).toBe(2);
  });

  it("when a read fails, then the error reaches the caller and nothing is kept", async () => {
    const { cache } = await open();
    const id = uid();
    await expect(cache.get(id, () => Promise.reject(new Error("catalog down")))).rejects.toThrow(
      "catalog down",
    );
    const source = catalog({ id, version: 1, stock: 1 });
    await cache.get(id, source.read);
    expect(source.calls).toBe(1);
  });

  it("when this reader writes or deletes a product, then reads see the write at once without an announcement", async () => {
    const { cache } = await open();
    const id = uid();
    const source = catalog({ id, version: 1, stock: 1 });
    await cache.get(id, source.read);

    cache.wrote({ id, version: 2, stock: 8 });
    expect(await cache.get(id, source.read)).toEqual({ id, version: 2, stock: 8 });
    expect(source.calls).toBe(1);

    cache.deleted(id);
    await expect(cache.get(id, () => Promise.reject(new Error("not found")))).rejects.toThrow("not found");
    // A read that still brings the deleted product back is not kept.
    await cache.get(id, source.read);
    await cache.get(id, source.read);
    expect(source.calls).toBe(3);
  });

  it("when an entry is older than the TTL, then the catalog is asked again", async () => {
    let clock = 1_000_000;
    const { cache } = await open({ ttlMs: 5_000, now: () => clock });
    const id = uid();
    const source = catalog({ id, version: 1, stock: 1 });
    await cache.get(id, source.read);
    clock += 4_999;
    await cache.get(id, source.read);
    expect(source.calls).toBe(1);
    clock += 1;
    await cache.get(id, source.read);
    expect(source.calls).toBe(2);
  });

  it("when the subscriber connection is cut, then everything is forgotten and reads bypass the cache until it has subscribed again", async () => {
    const { cache, connectionName } = await open();
    const id = uid();
    const source = catalog({ id, version: 1, stock: 1 });
    await cache.get(id, source.read);

    const unsubscribed = once(cache.events, "unsubscribed");
    const subscribedAgain = once(cache.events, "subscribed");
    const clients = (await redis.client("LIST")) as string;
    const line = clients.split("\n").find((l) => l.includes(` name=${connectionName} `));
    expect(line).toBeDefined();
    await redis.client("KILL", "ID", /id=(\d+)/.exec(line!)![1]!);
    await unsubscribed;
    expect(cache.active).toBe(false);
    await cache.get(id, source.read);
    expect(source.calls).toBe(2); // bypassed
    await subscribedAgain;

    source.current = { id, version: 2, stock: 0 };
    expect((await cache.get(id, source.read)).version).toBe(2); // nothing from before the cut
    await cache.get(id, source.read);
    expect(source.calls).toBe(3);
  });

  it("when an announcement is malformed, then it is ignored and the cache goes on", async () => {
    const { cache, channel, announce } = await open();
    const id = uid();
    const source = catalog({ id, version: 1, stock: 1 });
    await cache.get(id, source.read);
    for (const garbage of ["garbage", "|", "x|id", "-1|id", "3|"]) {
      const seen = once(cache.events, "change");
      await redis.publish(channel, garbage);
      expect(await seen).toEqual([undefined]);
    }
    await cache.get(id, source.read);
    expect(source.calls).toBe(1);
    source.current = { id, version: 2, stock: 0 };
    await announce({ id, version: 2 });
    expect((await cache.get(id, source.read)).version).toBe(2);
  });
});
