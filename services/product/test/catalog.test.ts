import { AppError } from "@shop/platform";
import { uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, newProduct, startHarness } from "./harness.js";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

async function create(overrides: Record<string, unknown> = {}) {
  return h.client.CreateProduct(newProduct(overrides), { authorization: h.adminAuth });
}

describe("catalog writes", () => {
  it("when an admin creates a product, then it is returned with a database id, version 1 and USD by default", async () => {
    const input = newProduct({ currency: "" });
    const p = await h.client.CreateProduct(input, { authorization: h.adminAuth });
    expect(p.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(p).toMatchObject({
      sku: input.sku,
      name: input.name,
      priceCents: 1999,
      currency: "USD",
      stock: 10,
      reserved: 0,
      sold: 0,
      version: 1,
    });
    expect(await h.client.GetProduct({ id: p.id })).toEqual(p);
  });

  it("when a customer or an anonymous caller writes, then it is PERMISSION_DENIED or UNAUTHENTICATED and nothing changes", async () => {
    const p = await create();
    const asCustomer = { authorization: h.customerAuth };
    expect((await failure(h.client.CreateProduct(newProduct(), asCustomer))).kind).toBe("PERMISSION_DENIED");
    expect(
      (await failure(h.client.UpdateProduct({ id: p.id, version: 1, name: "x" }, asCustomer))).kind,
    ).toBe("PERMISSION_DENIED");
    expect((await failure(h.client.DeleteProduct({ id: p.id }, asCustomer))).kind).toBe("PERMISSION_DENIED");
    expect((await failure(h.client.CreateProduct(newProduct()))).kind).toBe("UNAUTHENTICATED");
    expect((await failure(h.client.DeleteProduct({ id: p.id }, { authorization: "Bearer nope" }))).kind).toBe(
      "UNAUTHENTICATED",
    );
    expect(await h.client.GetProduct({ id: p.id })).toMatchObject({ name: p.name, version: 1 });
  });

  it("when the SKU is taken by a live product, then CONFLICT DUPLICATE_SKU; after a delete the SKU is free again", async () => {
    const p = await create();
    const err = await failure(create({ sku: p.sku }));
    expect(err).toMatchObject({ kind: "CONFLICT", code: "DUPLICATE_SKU" });
    await h.client.DeleteProduct({ id: p.id }, { authorization: h.adminAuth });
    expect((await create({ sku: p.sku })).sku).toBe(p.sku);
  });

  it("when fields are out of range, then INVALID_ARGUMENT names each of them", async () => {
    const err = await failure(
      create({
        sku: "",
        name: " ",
        priceCents: -1,
        currency: "EURO",
        stock: -5,
        description: "x".repeat(5001),
      }),
    );
    expect(err.kind).toBe("INVALID_ARGUMENT");
    for (const field of ["sku", "name", "priceCents", "currency", "stock", "description"]) {
      expect(err.message).toContain(`/${field}`);
    }
    expect((await failure(create({ sku: "a".repeat(65) }))).kind).toBe("INVALID_ARGUMENT");
    expect((await failure(create({ name: "n".repeat(201) }))).kind).toBe("INVALID_ARGUMENT");
  });

  it("when an admin updates with the current version, then the fields change and the version bumps", async () => {
    const p = await create();
    const updated = await h.client.UpdateProduct(
      { id: p.id, version: 1, name: "Renamed", priceCents: 500, stock: 3 },
      { authorization: h.adminAuth },
    );
    expect(updated).toMatchObject({ name: "Renamed", priceCents: 500, stock: 3, version: 2, sku: p.sku });
    expect(updated.description).toBe(p.description);
    expect(await h.client.GetProduct({ id: p.id })).toMatchObject({ name: "Renamed", version: 2 });
  });

  it("when an update carries a stale version, then CONFLICT STALE_VERSION and nothing changes", async () => {
    const p = await create();
    await h.client.UpdateProduct({ id: p.id, version: 1, name: "First" }, { authorization: h.adminAuth });
    const err = await failure(
      h.client.UpdateProduct({ id: p.id, version: 1, name: "Second" }, { authorization: h.adminAuth }),
    );
    expect(err).toMatchObject({ kind: "CONFLICT", code: "STALE_VERSION" });
    expect(await h.client.GetProduct({ id: p.id })).toMatchObject({ name: "First", version: 2 });
  });

  it("when an update sets an invalid value, then INVALID_ARGUMENT", async () => {
    const p = await create();
    const err = await failure(
      h.client.UpdateProduct({ id: p.id, version: 1, stock: -1 }, { authorization: h.adminAuth }),
    );
    expect(err.kind).toBe("INVALID_ARGUMENT");
  });

  it("when a product is deleted, then reads, lists and GetProducts no longer show it, and a second delete is NOT_FOUND", async () => {
    const word = `gone${uid()}`;
    const p = await create({ name: `Thing ${word}` });
    const kept = await create({ name: `Thing ${word} kept` });
    await h.client.GetProduct({ id: p.id }); // cached before the delete
    await h.client.DeleteProduct({ id: p.id }, { authorization: h.adminAuth });
    expect((await failure(h.client.GetProduct({ id: p.id }))).kind).toBe("NOT_FOUND");
    expect((await h.client.GetProducts({ ids: [p.id, kept.id] })).items.map((x) => x.id)).toEqual([kept.id]);
    expect((await h.client.ListProducts({ q: word })).items.map((x) => x.id)).toEqual([kept.id]);
    expect((await failure(h.client.DeleteProduct({ id: p.id }, { authorization: h.adminAuth }))).kind).toBe(
      "NOT_FOUND",
    );
    expect(
      (
        await failure(
          h.client.UpdateProduct({ id: p.id, version: 2, name: "x" }, { authorization: h.adminAuth }),
        )
      ).kind,
    ).toBe("NOT_FOUND");
  });
});

describe("catalog reads", () => {
  it("when an id is unknown, not a uuid, or another spelling of a live id, then NOT_FOUND (never INTERNAL or INVALID_ARGUMENT)", async () => {
    const p = await create();
    for (const id of [
      p.id.toUpperCase(),
      `{${p.id}}`,
      p.id.replaceAll("-", ""),
      "00000000-0000-0000-0000-000000000000",
      "nope",
      "",
      "1; drop table products",
      "ü".repeat(300),
    ]) {
      expect((await failure(h.client.GetProduct({ id }))).kind).toBe("NOT_FOUND");
    }
    const err = await failure(
      h.client.UpdateProduct({ id: "not-a-uuid", version: 1, name: "x" }, { authorization: h.adminAuth }),
    );
    expect(err.kind).toBe("NOT_FOUND");
  });

  it("when GetProducts mixes live, unknown and malformed ids, then only live products come back, in the asked order", async () => {
    const a = await create();
    const b = await create();
    const res = await h.client.GetProducts({
      ids: [b.id, "garbage", a.id, "00000000-0000-0000-0000-000000000000", b.id.toUpperCase(), b.id],
    });
    expect(res.items.map((p) => p.id)).toEqual([b.id, a.id]);
  });

  it("when listing page by page, then every product appears once, in a stable order, and the last page has no cursor", async () => {
    const word = `page${uid()}`;
    const created = [];
    for (let i = 0; i < 7; i++) created.push(await create({ description: `batch ${word} item ${i}` }));
    const seen: string[] = [];
    const cursors: string[] = [];
    let cursor = "";
    do {
      const page = await h.client.ListProducts({ q: word, limit: 3, cursor });
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
      cursors.push(cursor);
    } while (cursor && cursors.length < 10);
    expect(seen).toEqual(created.map((p) => p.id));
    expect(cursors).toHaveLength(3);
    expect(cursors[0]).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursors[2]).toBe("");
  });

  it("when searching, then words of name and description match by prefix and other products do not", async () => {
    const word = uid();
    const keyboard = await create({ name: `Mechanical keyboard ${word}`, description: "clicky switches" });
    const mouse = await create({ name: `Wireless mouse ${word}`, description: "ergonomic" });
    const ids = async (q: string) => (await h.client.ListProducts({ q, limit: 100 })).items.map((p) => p.id);
    expect(await ids(`keyb ${word}`)).toEqual([keyboard.id]);
    expect(await ids(`${word} CLICKY`)).toEqual([keyboard.id]);
    expect((await ids(word)).sort()).toEqual([keyboard.id, mouse.id].sort());
    expect(await ids(`${word} ergonomic`)).toEqual([mouse.id]);
    expect(await ids(`${word} '&|!():*`)).toHaveLength(2);
  });

  it("when the cursor or limit is malformed, then INVALID_ARGUMENT", async () => {
    expect((await failure(h.client.ListProducts({ cursor: "garbage!" }))).kind).toBe("INVALID_ARGUMENT");
    const forged = Buffer.from(JSON.stringify({ t: "x", i: "y" })).toString("base64url");
    expect((await failure(h.client.ListProducts({ cursor: forged }))).kind).toBe("INVALID_ARGUMENT");
    expect((await failure(h.client.ListProducts({ limit: 101 }))).kind).toBe("INVALID_ARGUMENT");
    expect((await failure(h.client.ListProducts({ limit: -1 }))).kind).toBe("INVALID_ARGUMENT");
  });
});
