import { uid } from "@shop/testkit";
import { describe, expect, it } from "vitest";
import { admin, call, signUp } from "./client.js";

describe("the catalog through the gateway, against the real product service", () => {
  it("when an admin creates, a customer tries, anyone reads and a stale version updates, then 201, 403, 200 and 409", async () => {
    const adminToken = await admin();
    const customer = await signUp();
    const body = {
      sku: `sku-${uid()}`,
      name: "Desk lamp",
      description: "warm light",
      priceCents: 4_500,
      stock: 7,
    };
    expect((await call("POST", "/api/v1/products", { token: customer.token, body })).status).toBe(403);
    expect((await call("POST", "/api/v1/products", { body })).status).toBe(401);
    const created = await call("POST", "/api/v1/products", { token: adminToken, body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, currency: "USD", version: 1 });
    expect((await call("POST", "/api/v1/products", { token: adminToken, body })).status).toBe(409);

    const read = await call("GET", `/api/v1/products/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const patched = await call("PATCH", `/api/v1/products/${created.body.id}`, {
      token: adminToken,
      body: { version: 1, priceCents: 3_900 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ priceCents: 3_900, version: 2 });
    const stale = await call("PATCH", `/api/v1/products/${created.body.id}`, {
      token: adminToken,
      body: { version: 1, priceCents: 100 },
    });
    expect(stale.status).toBe(409);
    expect((await call("GET", `/api/v1/products/${created.body.id}`)).body.priceCents).toBe(3_900);
  });

  it("when a product is searched, paged and deleted, then lists follow and reads of it are 404", async () => {
    const adminToken = await admin();
    const word = `zq${uid()}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call("POST", "/api/v1/products", {
        token: adminToken,
        body: { sku: `sku-${uid()}`, name: `${word} chair ${i}`, priceCents: 100, stock: 1 },
      });
      ids.push(res.body.id);
    }
    const page1 = await call("GET", `/api/v1/products?q=${word}&limit=2`);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await call(
      "GET",
      `/api/v1/products?q=${word}&limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`,
    );
    expect(page2.body.nextCursor).toBeNull();
    expect([...page1.body.items, ...page2.body.items].map((p: { id: string }) => p.id).sort()).toEqual(
      [...ids].sort(),
    );

    expect((await call("DELETE", `/api/v1/products/${ids[0]}`, { token: adminToken })).status).toBe(204);
    expect((await call("GET", `/api/v1/products/${ids[0]}`)).status).toBe(404);
    const after = await call("GET", `/api/v1/products?q=${word}`);
    expect(after.body.items.map((p: { id: string }) => p.id)).not.toContain(ids[0]);
    for (const odd of ["nope", "00000000-0000-0000-0000-000000000000", "%20", "a".repeat(90)]) {
      expect((await call("GET", `/api/v1/products/${odd}`)).status).toBe(404);
    }
  });

  it("when a search or a product carries a NUL, then it is a 400 problem, not a 500 from the database", async () => {
    const adminToken = await admin();
    const search = await call("GET", "/api/v1/products?q=%00");
    expect(search.status).toBe(400);
    expect(search.headers.get("content-type")).toContain("application/problem+json");
    const body = { sku: `sku-${uid()}`, name: "Lamp\u0000", priceCents: 1, stock: 1 };
    expect((await call("POST", "/api/v1/products", { token: adminToken, body })).status).toBe(400);
    const described = await call("POST", "/api/v1/products", {
      token: adminToken,
      body: { ...body, name: "Lamp", description: "first line\n\tsecond line" },
    });
    expect(described.status).toBe(201);
    expect(described.body.description).toBe("first line\n\tsecond line");
  });
});
