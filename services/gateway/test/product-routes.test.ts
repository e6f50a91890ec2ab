import { AppError } from "@shop/platform";
import { uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

interface StoredProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  version: number;
}

// An in-memory catalog behind a real gRPC server: enough to see the gateway's mapping.
const products = new Map<string, StoredProduct>();
/** Catalog reads by id, to see what the gateway's near cache answered itself. */
const reads = new Map<string, number>();
let stub: Stub;
let gw: TestGateway;

beforeAll(async () => {
  stub = await startStub({
    product: {
      GetProduct: async ({ id }) => {
        reads.set(id, (reads.get(id) ?? 0) + 1);
        const p = products.get(id);
        if (!p) throw AppError.notFound("product not found");
        return p;
      },
      ListProducts: async ({ q, limit, cursor }) => {
        const all = [...products.values()]
          .filter((p) => p.name.includes(q))
          .sort((a, b) => a.id.localeCompare(b.id));
        const start = cursor ? all.findIndex((p) => p.id > cursor) : 0;
        const items = start < 0 ? [] : all.slice(start, start + limit);
        const more = start >= 0 && start + limit < all.length;
        return { items, nextCursor: more ? items.at(-1)!.id : "" };
      },
      CreateProduct: async (req, ctx) => {
        if (!ctx.authorization?.startsWith("Bearer ")) throw AppError.unauthenticated();
        if ([...products.values()].some((p) => p.sku === req.sku)) throw AppError.conflict("duplicate sku");
        const p = { ...req, id: `p-${uid()}`, version: 1 };
        products.set(p.id, p);
        return p;
      },
      UpdateProduct: async (req) => {
        const p = products.get(req.id);
        if (!p) throw AppError.notFound("product not found");
        if (req.version !== p.version) throw AppError.conflict("stale version", "STALE_VERSION");
        const next = { ...p, ...(req.name !== undefined ? { name: req.name } : {}), version: p.version + 1 };
        if (req.stock !== undefined) next.stock = req.stock;
        products.set(p.id, next);
        return next;
      },
      DeleteProduct: async ({ id }) => {
        if (!products.delete(id)) throw AppError.notFound("product not found");
        return {};
      },
    },
  });
  gw = await startGateway({ downstream: stub.address });
});
afterAll(async () => {
  await gw.close();
  await stub.stop();
});

async function createProduct(overrides: Record<string, unknown> = {}) {
  const res = await gw.app.inject({
    method: "POST",
    url: "/api/v1/products",
    headers: { authorization: await gw.bearer(`admin-${uid()}`, "admin") },
    payload: { sku: `sku-${uid()}`, name: `Lamp ${uid()}`, priceCents: 1999, stock: 5, ...overrides },
  });
  expect(res.statusCode).toBe(201);
  return res.json() as StoredProduct;
}

describe("products", () => {
  it("when an admin creates a product, then it is 201 with the contract's fields and can be read by anyone", async () => {
    const created = await createProduct({ description: "warm light" });
    expect(created).toEqual({
      id: expect.any(String),
      sku: expect.any(String),
      name: expect.any(String),
      description: "warm light",
      priceCents: 1999,
      currency: "USD",
      stock: 5,
      version: 1,
    });
    const read = await gw.app.inject({ url: `/api/v1/products/${created.id}` });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(created);
  });

  it("when a customer creates a product, then it is 403 and the catalog is not called", async () => {
    const before = stub.count("CreateProduct");
    const res = await gw.app.inject({
      method: "POST",
      url: "/api/v1/products",
      headers: { authorization: await gw.bearer(`u-${uid()}`) },
      payload: { sku: `sku-${uid()}`, name: "x", priceCents: 1, stock: 1 },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(stub.count("CreateProduct")).toBe(before);
  });

  it("when nobody is signed in, then writes are 401", async () => {
    const res = await gw.app.inject({ method: "DELETE", url: "/api/v1/products/anything" });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ status: 401, title: "Unauthorized" });
  });

  it("when a product body carries an unknown field, then it is 400 and the catalog is not called", async () => {
    const before = stub.count("CreateProduct");
    const res = await gw.app.inject({
      method: "POST",
      url: "/api/v1/products",
      headers: { authorization: await gw.bearer(`admin-${uid()}`, "admin") },
      payload: { sku: `sku-${uid()}`, name: "x", priceCents: 1, stock: 1, version: 7 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: "/version" })]);
    expect(stub.count("CreateProduct")).toBe(before);
  });

  it("when a product body has a wrong type, then it is 400 naming the field", async () => {
    const res = await gw.app.inject({
      method: "POST",
      url: "/api/v1/products",
      headers: { authorization: await gw.bearer(`admin-${uid()}`, "admin") },
      payload: { sku: `sku-${uid()}`, name: "x", priceCents: "12", stock: -1 },
    });
    expect(res.statusCode).toBe(400);
    const paths = res.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["/priceCents", "/stock"]));
  });

  it("when a duplicate sku is created, then the catalog's 409 comes through", async () => {
    const first = await createProduct();
    const res = await gw.app.inject({
      method: "POST",
      url: "/api/v1/products",
      headers: { authorization: await gw.bearer(`admin-${uid()}`, "admin") },
      payload: { sku: first.sku, name: "again", priceCents: 1, stock: 1 },
    });
    expect(res.statusCode).toBe(409);
  });

  it.each([
    "no-such-product",
    "%F0%9F%92%A5",
    "' or 1=1 --",
    "x".repeat(5000),
    "00000000-0000-0000-0000-000000000000",
  ])("when product id %# names no product, then reads are 404", async (id) => {
    const res = await gw.app.inject({ url: `/api/v1/products/${encodeURIComponent(id)}` });
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toContain("application/problem+json");
  });

  it("when the catalog rejects an id's form, then a read is still 404", async () => {
    const local = await startStub({
      product: { GetProduct: async () => Promise.reject(AppError.invalid("id must be a uuid")) },
    });
    const other = await startGateway({ downstream: local.address });
    const res = await other.app.inject({ url: "/api/v1/products/not-a-uuid" });
    expect(res.statusCode).toBe(404);
    await other.close();
    await local.stop();
  });

  it("when an admin patches with the current version, then the product changes; with a stale one, 409", async () => {
    const p = await createProduct();
    const admin = await gw.bearer(`admin-${uid()}`, "admin");
    const ok = await gw.app.inject({
      method: "PATCH",
      url: `/api/v1/products/${p.id}`,
      headers: { authorization: admin },
      payload: { version: 1, name: "Renamed", stock: 9 },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ name: "Renamed", stock: 9, version: 2 });
    const stale = await gw.app.inject({
      method: "PATCH",
      url: `/api/v1/products/${p.id}`,
      headers: { authorization: admin },
      payload: { version: 1, name: "Again" },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe("STALE_VERSION");
  });

  it("when an admin deletes a product, then it is 204 and reads give 404", async () => {
    const p = await createProduct();
    const res = await gw.app.inject({
      method: "DELETE",
      url: `/api/v1/products/${p.id}`,
      headers: { authorization: await gw.bearer(`admin-${uid()}`, "admin") },
    });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe("");
    expect((await gw.app.inject({ url: `/api/v1/products/${p.id}` })).statusCode).toBe(404);
  });

  it("when a product is read again, then the gateway answers from memory; an admin's change through it is seen at once", async () => {
    const p = await createProduct();
    const first = await gw.app.inject({ url: `/api/v1/products/${p.id}` });
    const second = await gw.app.inject({ url: `/api/v1/products/${p.id}` });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(second.json()).toEqual(p);
    // Creating it through this gateway already put it in memory.
    expect(reads.get(p.id) ?? 0).toBe(0);
    const metrics = await gw.metrics.metrics();
    expect(metrics).toMatch(/gateway_product_cache_requests_total\{[^}]*result="hit"[^}]*\} [1-9]/);

    const patched = await gw.app.inject({
      method: "PATCH",
      url: `/api/v1/products/${p.id}`,
      headers: { authorization: await gw.bearer(`admin-${uid()}`, "admin") },
      payload: { version: 1, name: "Renamed lamp" },
    });
    expect(patched.statusCode).toBe(200);
    const after = await gw.app.inject({ url: `/api/v1/products/${p.id}` });
    expect(after.json()).toMatchObject({ name: "Renamed lamp", version: 2 });
    expect(reads.get(p.id) ?? 0).toBe(0);
  });

  it("when the near cache is off, then every read asks the catalog", async () => {
    const off = await startGateway({ downstream: stub.address, env: { PRODUCT_CACHE_TTL_MS: "0" } });
    try {
      const p = await createProduct();
      for (let i = 0; i < 3; i++) {
        expect((await off.app.inject({ url: `/api/v1/products/${p.id}` })).json()).toEqual(p);
      }
      expect(reads.get(p.id)).toBe(3);
    } finally {
      await off.close();
    }
  });

  it("when products are listed with a limit, then pages follow nextCursor until it is null", async () => {
    const tag = uid();
    for (let i = 0; i < 3; i++) await createProduct({ name: `Paged ${tag} ${i}` });
    const first = await gw.app.inject({ url: `/api/v1/products?q=${tag}&limit=2` });
    expect(first.statusCode).toBe(200);
    expect(first.json().items).toHaveLength(2);
    const cursor = first.json().nextCursor;
    expect(typeof cursor).toBe("string");
    const second = await gw.app.inject({
      url: `/api/v1/products?q=${tag}&limit=2&cursor=${encodeURIComponent(cursor)}`,
    });
    expect(second.json().items).toHaveLength(1);
    expect(second.json().nextCursor).toBeNull();
  });

  it("when no limit is given, then the catalog is asked for 20", async () => {
    await gw.app.inject({ url: "/api/v1/products" });
    expect(stub.requests.ListProducts!.at(-1)!.request).toMatchObject({ limit: 20 });
  });

  it.each(["0", "101", "abc", "2.5"])("when limit is %s, then it is 400", async (limit) => {
    const res = await gw.app.inject({ url: `/api/v1/products?limit=${limit}` });
    expect(res.statusCode).toBe(400);
  });
});
