import fc from "fast-check";
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
const order = {
  id: 1,
  userId: "fuzzer",
  status: "CREATED",
  items: [{ productId: "p1", quantity: 1, name: "n", unitPriceCents: 1 }],
  totalCents: 1,
  currency: "USD",
  cancelReason: "",
  createdAt: "2026-11-25T10:00:00.000Z",
  updatedAt: "2026-11-25T10:00:00.000Z",
  traceId: "",
};
const tokens = { accessToken: "a", refreshToken: "r", tokenType: "Bearer", expiresIn: 900 };

// Downstreams that accept whatever passes the gateway, so valid fuzz cases go all the way through.
let stub: Stub;
let gw: TestGateway;
let admin: string;

beforeAll(async () => {
  stub = await startStub({
    auth: {
      Register: async ({ email }) => ({ id: "u", email, role: "customer" }),
      Login: async () => tokens,
      Refresh: async () => tokens,
      Logout: async () => ({}),
      VerifyEmail: async () => ({}),
      ForgotPassword: async () => ({}),
      ResetPassword: async () => ({}),
    },
    product: {
      CreateProduct: async () => product,
      UpdateProduct: async () => product,
      GetProducts: async () => ({ items: [product] }),
    },
    order: { CreateOrder: async () => ({ order, created: true }) },
    notification: { LinkTelegram: async ({ chatId }) => ({ chatId, linkedAt: "2026-11-25T10:00:00.000Z" }) },
  });
  gw = await startGateway({
    downstream: stub.address,
    env: { RATE_LIMIT_MAX: "1000000", LOGIN_RATE_LIMIT_MAX: "1000000", PAYMENT_GRPC_ADDR: "127.0.0.1:1" },
  });
  admin = await gw.bearer("fuzzer", "admin");
});
afterAll(async () => {
  await gw.close();
  await stub.stop();
});

const ROUTES: { method: "POST" | "PATCH" | "PUT"; url: string; fields: string[] }[] = [
  { method: "POST", url: "/api/v1/auth/register", fields: ["email", "password"] },
  { method: "POST", url: "/api/v1/auth/login", fields: ["email", "password"] },
  { method: "POST", url: "/api/v1/auth/refresh", fields: ["refreshToken"] },
  { method: "POST", url: "/api/v1/auth/logout", fields: ["refreshToken"] },
  { method: "POST", url: "/api/v1/auth/verify-email", fields: ["token"] },
  { method: "POST", url: "/api/v1/auth/forgot-password", fields: ["email"] },
  { method: "POST", url: "/api/v1/auth/reset-password", fields: ["token", "password"] },
  {
    method: "POST",
    url: "/api/v1/products",
    fields: ["sku", "name", "description", "priceCents", "currency", "stock"],
  },
  {
    method: "PATCH",
    url: "/api/v1/products/p1",
    fields: ["version", "name", "description", "priceCents", "stock"],
  },
  { method: "POST", url: "/api/v1/orders", fields: ["items"] },
  { method: "PUT", url: "/api/v1/notifications/telegram", fields: ["chatId"] },
];

/** Values of every kind, with the boundaries that tend to break things. */
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    0,
    -1,
    2 ** 31,
    2 ** 53,
    -(2 ** 53),
    1e308,
    0.5,
    "",
    " ",
    "a@b.co",
    "\u0000",
    "\ud800",
    "😀".repeat(300),
  ),
  fc.string({ maxLength: 300 }),
  fc.array(
    fc.record({
      productId: fc.oneof(fc.string(), fc.integer()),
      quantity: fc.oneof(fc.integer(), fc.string()),
    }),
    {
      maxLength: 60,
    },
  ),
);

function bodyFor(fields: string[]) {
  return fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(fc.constantFrom(...fields, "role", "userId", "status", "__proto__", "constructor"), value),
    fc.record(Object.fromEntries(fields.map((f) => [f, value])), { requiredKeys: [] }),
  );
}

describe("fuzzed bodies", () => {
  it.each(ROUTES)(
    "when $method $url gets arbitrary JSON, then the answer is never a 5xx",
    async ({ method, url, fields }) => {
      await fc.assert(
        fc.asyncProperty(bodyFor(fields), async (body) => {
          const res = await gw.app.inject({
            method,
            url,
            headers: { authorization: admin, "content-type": "application/json" },
            payload: JSON.stringify(body),
          });
          expect(res.statusCode, `${res.statusCode} for ${JSON.stringify(body)}: ${res.body}`).toBeLessThan(
            500,
          );
        }),
        { numRuns: 150 },
      );
    },
  );

  it("when bodies are not JSON at all, then the answer is a 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), fc.constantFrom(...ROUTES), async (raw, route) => {
        const res = await gw.app.inject({
          method: route.method,
          url: route.url,
          headers: { authorization: admin, "content-type": "application/json" },
          payload: raw,
        });
        if (res.statusCode >= 200 && res.statusCode < 300) return; // raw happened to be a valid body
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });
});
