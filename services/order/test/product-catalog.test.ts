import { once } from "node:events";
import { catalogChangesChannel, createNearCache, formatProductChange } from "@shop/events";
import { createLogger, createMetricsRegistry, createRedis, type Redis } from "@shop/platform";
import { redisUrl, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CatalogProduct, createProductCatalog } from "../src/data-access/product-catalog.js";
import { startProductStandIn } from "./product-stand-in.js";
import { catalogCredentials } from "./tls.js";

let redis: Redis;
let products: Awaited<ReturnType<typeof startProductStandIn>>;
const closers: (() => void)[] = [];

beforeAll(async () => {
  redis = createRedis(redisUrl());
  await once(redis, "ready");
  products = await startProductStandIn();
});
afterAll(async () => {
  for (const close of closers) close();
  await products.stop();
  await redis.quit();
});

/** A catalog with a price cache listening on channels of its own, subscribed before it is used. */
async function openCatalog() {
  const changesChannel = `test:${uid()}:product-changes`;
  const cache = createNearCache<CatalogProduct>({
    redis,
    channel: catalogChangesChannel(changesChannel),
    ttlMs: 60_000,
    maxEntries: 100,
    connectionName: `order-prices-${uid()}`,
    metricPrefix: "order",
    logger: createLogger({ service: "order", level: "silent" }),
    metrics: createMetricsRegistry("order"),
  });
  const catalog = createProductCatalog(products.address, { credentials: catalogCredentials(), cache });
  closers.push(
    () => cache.close(),
    () => catalog.close(),
  );
  await once(cache.events, "subscribed");
  return { catalog, cache, changesChannel };
}

function addProduct(priceCents: number) {
  const id = `p-${uid()}`;
  products.products.set(id, { id, name: `Widget ${id}`, priceCents, currency: "EUR" });
  return id;
}

/** The GetProducts calls the stand-in answered while `work` ran. */
async function callsDuring(work: () => Promise<unknown>): Promise<string[][]> {
  const before = products.calls.length;
  await work();
  return products.calls.slice(before);
}

describe("pricing through the catalog's cache", () => {
  it("when products are priced again, then those seen are answered from memory and the rest are asked for in one call; unknown ones are asked for each time", async () => {
    const { catalog } = await openCatalog();
    const [a, b, c] = [addProduct(100), addProduct(200), addProduct(300)];
    const unknown = `p-${uid()}`;

    const first = await callsDuring(async () => {
      const found = await catalog.getProducts([a, b, a, unknown]);
      expect([...found.keys()].sort()).toEqual([a, b].sort());
      expect(found.get(b)).toMatchObject({ priceCents: 200, currency: "EUR", version: 1 });
    });
    expect(first).toEqual([[a, b, unknown]]);

    const second = await callsDuring(async () => {
      const found = await catalog.getProducts([b, c, unknown]);
      expect(found.get(b)?.priceCents).toBe(200);
      expect(found.get(c)?.priceCents).toBe(300);
      expect(found.has(unknown)).toBe(false);
    });
    expect(second).toEqual([[c, unknown]]);
  });

  it("when a price change is announced on the catalog channel, then the next pricing reads the new price; an announcement of a stock move does not", async () => {
    const { catalog, cache, changesChannel } = await openCatalog();
    const id = addProduct(1_000);
    const other = addProduct(50);
    expect((await catalog.getProducts([id])).get(id)?.priceCents).toBe(1_000);

    // A reservation: announced on the channel of every change only, so the entry stays.
    products.products.set(id, { ...products.products.get(id)!, version: 2 });
    await redis.publish(changesChannel, formatProductChange({ id, version: 2 }));
    // Delivered in order: once the cache has applied a later catalog announcement, it has seen
    // everything published before it on channels it listens to.
    let applied = once(cache.events, "change");
    await redis.publish(
      catalogChangesChannel(changesChannel),
      formatProductChange({ id: other, version: 1 }),
    );
    await applied;
    expect(await callsDuring(() => catalog.getProducts([id]))).toEqual([]);

    // A new price: announced on the catalog channel as well.
    products.products.set(id, { ...products.products.get(id)!, priceCents: 1_250, version: 3 });
    applied = once(cache.events, "change");
    await redis.publish(catalogChangesChannel(changesChannel), formatProductChange({ id, version: 3 }));
    await applied;
    const calls = await callsDuring(async () => {
      expect((await catalog.getProducts([id])).get(id)).toMatchObject({ priceCents: 1_250, version: 3 });
    });
    expect(calls).toEqual([[id]]);
  });

  it("when the product service fails, then pricing fails with its error and the next pricing asks again", async () => {
    const { catalog } = await openCatalog();
    const id = addProduct(700);
    products.failing = true;
    try {
      await expect(catalog.getProducts([id])).rejects.toThrow("GetProducts: unavailable");
    } finally {
      products.failing = false;
    }
    const calls = await callsDuring(async () => {
      expect((await catalog.getProducts([id])).get(id)?.priceCents).toBe(700);
    });
    expect(calls).toEqual([[id]]);
  });
});
