import { AppError } from "@shop/platform";
import { uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

const product = {
  id: "p1",
  sku: "s",
  name: "n",
  description: "",
  priceCents: 1,
  currency: "USD",
  stock: 1,
  version: 1,
};
let stub: Stub;
let gw: TestGateway;
let admin: string;

beforeAll(async () => {
  stub = await startStub({
    auth: { Register: async ({ email }) => ({ id: "u", email, role: "customer" }) },
    product: {
      GetProduct: async () => {
        throw AppError.notFound("product not found");
      },
      ListProducts: async () => ({ items: [product], nextCursor: "" }),
      CreateProduct: async (req) => ({ ...product, ...req }),
      UpdateProduct: async () => product,
    },
    order: {
      GetOrder: async () => {
        throw AppError.notFound("order not found");
      },
    },
    notification: { ListNotifications: async () => ({ items: [], nextCursor: "" }) },
  });
  // The stub's own gRPC server rejects control characters too; the exact wording below is the
  // gateway's, so these cases fail if the gateway's check goes.
  gw = await startGateway({ downstream: stub.address, env: { PRODUCT_CACHE_TTL_MS: "0" } });
  admin = await gw.bearer(`admin-${uid()}`, "admin");
});
afterAll(async () => {
  await gw.close();
  await stub.stop();
});

const totalCalls = () => Object.values(stub.calls).reduce((a, b) => a + b, 0);

function expectRejected(
  res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown },
  detail: string,
) {
  expect(res.statusCode).toBe(400);
  expect(res.headers["content-type"]).toContain("application/problem+json");
  expect(res.json()).toMatchObject({ status: 400, detail: `${detail} must not contain control characters` });
}

const createProduct = (fields: Record<string, unknown>, authorization = admin) =>
  gw.app.inject({
    method: "POST",
    url: "/api/v1/products",
    headers: { authorization },
    payload: { sku: `s-${uid()}`, name: "Lamp", priceCents: 1, stock: 1, ...fields },
  });

describe("control characters", () => {
  it.each(["%00", "%01", "%1B%5B31m", "a%0Ab", "a%09b", "%0D", "%1F"])(
    "when the search text holds %s, then it is a 400 problem and the catalog is not asked",
    async (q) => {
      const before = totalCalls();
      const res = await gw.app.inject({ url: `/api/v1/products?q=${q}` });
      expectRejected(res, "querystring/q");
      expect(res.json()).toMatchObject({ errors: [{ path: "/q" }] });
      expect(totalCalls()).toBe(before);
    },
  );

  it("when a cursor holds a NUL, then it is a 400", async () => {
    const auth = await gw.bearer(`u-${uid()}`);
    const res = await gw.app.inject({
      url: "/api/v1/notifications?cursor=%00",
      headers: { authorization: auth },
    });
    expectRejected(res, "querystring/cursor");
  });

  it.each([
    ["name", "Lamp\u0000"],
    ["name", "Lamp\nshade"],
    ["name", "\u001b[2J"],
    ["sku", "s\u0000"],
    ["sku", "s\t1"],
    ["description", "a\u0000b"],
    ["description", "a\rb"],
    ["description", "bell\u0007"],
  ])("when a product's %s is %j, then the create is a 400 naming the field", async (field, text) => {
    const before = totalCalls();
    const res = await createProduct({ [field]: text });
    expectRejected(res, `body/${field}`);
    expect(res.json()).toMatchObject({ errors: [{ path: `/${field}` }] });
    expect(totalCalls()).toBe(before);
  });

  it("when a description has tabs and line breaks, then they are free text and pass", async () => {
    const res = await createProduct({ description: "line one\n\tline two\n" });
    expect(res.statusCode).toBe(201);
    expect(res.json().description).toBe("line one\n\tline two\n");
  });

  it("when an update's name holds a control character, then it is a 400", async () => {
    const res = await gw.app.inject({
      method: "PATCH",
      url: "/api/v1/products/p1",
      headers: { authorization: admin },
      payload: { version: 1, name: "a\u0008" },
    });
    expectRejected(res, "body/name");
  });

  it("when credentials hold a control character, then registering is a 400", async () => {
    const register = (payload: object) =>
      gw.app.inject({ method: "POST", url: "/api/v1/auth/register", payload });
    expectRejected(await register({ email: `a-${uid()}@b.co`, password: "long\tenough" }), "body/password");
    expect((await register({ email: "a\u0000@b.co", password: "long enough" })).statusCode).toBe(400);
  });

  it("when an order line's product id holds a NUL, then the path points into the array", async () => {
    const res = await gw.app.inject({
      method: "POST",
      url: "/api/v1/orders",
      headers: { authorization: await gw.bearer(`u-${uid()}`) },
      payload: {
        items: [
          { productId: "p1", quantity: 1 },
          { productId: "p\u0000", quantity: 1 },
        ],
      },
    });
    expectRejected(res, "body/items/1/productId");
  });

  it("when an anonymous caller sends a control character to an admin route, then it is still 401", async () => {
    const res = await gw.app.inject({
      method: "POST",
      url: "/api/v1/products",
      payload: { sku: "s", name: "\u0000", priceCents: 1, stock: 1 },
    });
    expect(res.statusCode).toBe(401);
  });

  it.each(["/api/v1/products/%00", "/api/v1/products/p%0A1", "/api/v1/orders/%00"])(
    "when a path id holds a control character (%s), then it names nothing: 404 problem",
    async (url) => {
      const res = await gw.app.inject({ url, headers: { authorization: await gw.bearer(`u-${uid()}`) } });
      expect(res.statusCode).toBe(404);
      expect(res.headers["content-type"]).toContain("application/problem+json");
    },
  );

  it("when an unknown route carries a control character, then it is the usual 404", async () => {
    const res = await gw.app.inject({ url: "/api/v1/nothing?q=%00" });
    expect(res.statusCode).toBe(404);
  });
});
