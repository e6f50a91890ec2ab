import { uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

// Every handler throws: any call reaching a service would show up in the counts (and as a 500).
const fail = async () => {
  throw new Error("must not be called");
};
let stub: Stub;
let gw: TestGateway;

beforeAll(async () => {
  stub = await startStub({
    auth: {
      Register: fail,
      Login: fail,
      Refresh: fail,
      Logout: fail,
      VerifyEmail: fail,
      ForgotPassword: fail,
      ResetPassword: fail,
    },
    product: { CreateProduct: fail, UpdateProduct: fail, DeleteProduct: fail },
    order: { CreateOrder: fail },
    notification: { LinkTelegram: fail },
  });
  gw = await startGateway({ downstream: stub.address });
});
afterAll(async () => {
  await gw.close();
  await stub.stop();
});

const totalCalls = () => Object.values(stub.calls).reduce((a, b) => a + b, 0);

/** A valid body per route, so the only fault in each case is the extra field. */
const VALID: [string, string, Record<string, unknown>][] = [
  ["POST", "/api/v1/auth/register", { email: "a@example.com", password: "long enough" }],
  ["POST", "/api/v1/auth/login", { email: "a@example.com", password: "long enough" }],
  ["POST", "/api/v1/auth/refresh", { refreshToken: "r" }],
  ["POST", "/api/v1/auth/logout", { refreshToken: "r" }],
  ["POST", "/api/v1/auth/verify-email", { token: "t" }],
  ["POST", "/api/v1/auth/forgot-password", { email: "a@example.com" }],
  ["POST", "/api/v1/auth/reset-password", { token: "t", password: "long enough" }],
  ["POST", "/api/v1/products", { sku: "s", name: "n", priceCents: 1, stock: 1 }],
  ["PATCH", "/api/v1/products/p1", { version: 1, name: "n" }],
  ["POST", "/api/v1/orders", { items: [{ productId: "p1", quantity: 1 }] }],
  ["PUT", "/api/v1/notifications/telegram", { chatId: "1" }],
];

describe("strict input", () => {
  it.each(
    VALID.flatMap(([m, u, body]) =>
      ["role", "userId", "status"].map((extra) => [m, u, body, extra] as const),
    ),
  )(
    "when %s %s carries an unknown field (%#), then it is 400 naming it and no service is called",
    async (method, url, body, extra) => {
      const before = totalCalls();
      const res = await gw.app.inject({
        method: method as "POST",
        url,
        headers: { authorization: await gw.bearer(`admin-${uid()}`, "admin") },
        payload: { ...body, [extra]: "x" },
      });
      expect(res.statusCode).toBe(400);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.json().errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: `/${extra}` })]),
      );
      expect(totalCalls()).toBe(before);
    },
  );

  it("when an order line carries an unknown field, then it is 400", async () => {
    const res = await gw.app.inject({
      method: "POST",
      url: "/api/v1/orders",
      headers: { authorization: await gw.bearer(`u-${uid()}`) },
      payload: { items: [{ productId: "p1", quantity: 1, unitPriceCents: 1 }] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe("/items/0/unitPriceCents");
  });

  it("when a number is sent as text in a body, then it is 400 (bodies are not coerced)", async () => {
    const res = await gw.app.inject({
      method: "POST",
      url: "/api/v1/orders",
      headers: { authorization: await gw.bearer(`u-${uid()}`) },
      payload: { items: [{ productId: "p1", quantity: "1" }] },
    });
    expect(res.statusCode).toBe(400);
  });

  it.each([
    ["PATCH", "/api/v1/products/p1", { version: 1 }],
    ["DELETE", "/api/v1/products/p1", undefined],
  ])(
    "when a customer calls the admin route %s %s, then it is 403 and no service is called",
    async (method, url, payload) => {
      const before = totalCalls();
      const res = await gw.app.inject({
        method: method as "PATCH",
        url,
        headers: { authorization: await gw.bearer(`u-${uid()}`) },
        ...(payload ? { payload } : {}),
      });
      expect(res.statusCode).toBe(403);
      expect(totalCalls()).toBe(before);
    },
  );
});
