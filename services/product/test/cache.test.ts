import { once } from "node:events";
import { catalogChangesChannel } from "@shop/events";
import { createLogger, createMetricsRegistry } from "@shop/platform";
import { uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProductCache } from "../src/data-access/product-cache.js";
import { reserveStock } from "../src/domain/reserve-stock.js";
import { type Harness, newProduct, startHarness } from "./harness.js";

let h: Harness;
let down: Harness;

beforeAll(async () => {
  h = await startHarness();
  // A port where nothing listens: every Redis call fails, as in an outage.
  down = await startHarness({ redisUrl: "redis://127.0.0.1:1" });
});
afterAll(async () => {
  await h.close();
  await down.close();
});

function counter(text: string, result: string): number {
  const line = text
    .split("\n")
    .find((l) => l.startsWith("product_cache_requests_total{") && l.includes(`result="${result}"`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

/** A one-unit order for `productId`, reserved as the saga's OrderCreated handler does. */
function reserveOne(harness: Harness, productId: string) {
  return reserveStock(harness.deps, {
    orderId: Math.floor(Math.random() * 1e9) + 1,
    userId: "u1",
    items: [{ productId, quantity: 1, unitPriceCents: 1 }],
    totalCents: 1,
    currency: "USD",
  });
}

describe("product cache", () => {
  it("when a product is read twice, then the first read is a miss and the second a hit, counted in /metrics", async () => {
    const p = await h.client.CreateProduct(newProduct(), { authorization: h.adminAuth });
    const before = await h.metrics.metrics();
    await h.client.GetProduct({ id: p.id });
    await h.client.GetProduct({ id: p.id });
    const after = await h.metrics.metrics();
    expect(counter(after, "miss") - counter(before, "miss")).toBe(1);
    expect(counter(after, "hit") - counter(before, "hit")).toBe(1);
  });

  it("when a cached product is updated, then the next read shows the update", async () => {
    const p = await h.client.CreateProduct(newProduct(), { authorization: h.adminAuth });
    await h.client.GetProduct({ id: p.id });
    await h.client.UpdateProduct({ id: p.id, version: 1, priceCents: 1 }, { authorization: h.adminAuth });
    expect(await h.client.GetProduct({ id: p.id })).toMatchObject({ priceCents: 1, version: 2 });
  });

  it("when a slow reader tries to store a version older than an invalidation, then the cache keeps it out", async () => {
    const cache = createProductCache({
      redis: h.redis,
      logger: createLogger({ service: "product", level: "silent" }),
      metrics: createMetricsRegistry("product"),
      ttlSeconds: 60,
      fenceTtlSeconds: 30,
      timeoutMs: 500,
      keyPrefix: `test:${uid()}:race:`,
    });
    const p = await h.client.CreateProduct(newProduct(), { authorization: h.adminAuth });
    const v1 = { ...p, id: p.id, version: 1 } as never;
    // The reader read version 1 from the database; meanwhile a write committed version 2 and fenced.
    await cache.invalidate([{ id: p.id, version: 2 }]);
    await cache.store([v1]);
    expect((await cache.getMany([p.id])).size).toBe(0);
    // A reader of version 2 (after the commit) may store it; an older one still cannot overwrite it.
    await cache.store([{ ...p, version: 2, name: "v2" } as never]);
    await cache.store([{ ...p, version: 1, name: "v1" } as never]);
    expect((await cache.getMany([p.id])).get(p.id)).toMatchObject({ version: 2, name: "v2" });
    // A late fence for an older write does not evict a newer entry, a newer fence does.
    await cache.invalidate([{ id: p.id, version: 1 }]);
    expect((await cache.getMany([p.id])).get(p.id)).toMatchObject({ version: 2 });
    await cache.invalidate([{ id: p.id, version: 3 }]);
    expect((await cache.getMany([p.id])).size).toBe(0);
  });

  it("when a product is changed by an edit, a reservation and a delete, then each change is announced with the version it produced, and only the edit and the delete on the catalog channel", async () => {
    const listener = h.redis.duplicate();
    await once(listener, "ready");
    const catalogChannel = catalogChangesChannel(h.changesChannel);
    await listener.subscribe(h.changesChannel, catalogChannel);
    const heard: string[] = [];
    const heardByCatalog: string[] = [];
    listener.on("message", (channel: string, message: string) =>
      (channel === catalogChannel ? heardByCatalog : heard).push(message),
    );
    try {
      const admin = { authorization: h.adminAuth };
      const p = await h.client.CreateProduct(newProduct({ stock: 3 }), admin);
      await h.client.UpdateProduct({ id: p.id, version: 1, name: "Renamed" }, admin);
      await reserveOne(h, p.id);
      await h.client.DeleteProduct({ id: p.id }, admin);
      // Published before each call returned; a round trip on the listener's connection flushes them.
      await listener.ping();
      expect(heard).toEqual([`2|${p.id}`, `3|${p.id}`, `4|${p.id}`]);
      expect(heardByCatalog).toEqual([`2|${p.id}`, `4|${p.id}`]);
    } finally {
      listener.disconnect();
    }
  });

  it("when Redis is unreachable, then reads, writes and reservations still work from the database and errors are counted", async () => {
    const admin = { authorization: down.adminAuth };
    const p = await down.client.CreateProduct(newProduct({ stock: 3 }), admin);
    expect(await down.client.GetProduct({ id: p.id })).toEqual(p);
    expect((await down.client.GetProducts({ ids: [p.id] })).items).toEqual([p]);
    await down.client.UpdateProduct({ id: p.id, version: 1, name: "Still works" }, admin);
    await reserveOne(down, p.id);
    expect(await down.client.GetProduct({ id: p.id })).toMatchObject({
      name: "Still works",
      stock: 2,
      version: 3,
    });
    const text = await down.metrics.metrics();
    expect(counter(text, "error")).toBe(3);
    expect(counter(text, "hit")).toBe(0);
  });
});
