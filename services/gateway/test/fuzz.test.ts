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
      ListProducts: async () => ({ items: [product], nextCursor: "" }),
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

/** A valid body per route and its string fields, so the injected character is the only fault. */
const VALID: {
  method: "POST" | "PATCH" | "PUT";
  url: string;
  body: Record<string, unknown>;
  text: string[];
}[] = [
  {
    method: "POST",
    url: "/api/v1/auth/register",
    body: { email: "a@b.co", password: "long enough" },
    text: ["password"],
  },
  {
    method: "POST",
    url: "/api/v1/auth/login",
    body: { email: "a@b.co", password: "long enough" },
    text: ["email", "password"],
  },
  { method: "POST", url: "/api/v1/auth/refresh", body: { refreshToken: "r" }, text: ["refreshToken"] },
  { method: "POST", url: "/api/v1/auth/verify-email", body: { token: "t" }, text: ["token"] },
  {
    method: "POST",
    url: "/api/v1/auth/reset-password",
    body: { token: "t", password: "long enough" },
    text: ["token", "password"],
  },
  {
    method: "POST",
    url: "/api/v1/products",
    body: { sku: "s", name: "n", description: "d", priceCents: 1, currency: "USD", stock: 1 },
    text: ["sku", "name", "description"],
  },
  {
    method: "PATCH",
    url: "/api/v1/products/p1",
    body: { version: 1, name: "n", description: "d" },
    text: ["name", "description"],
  },
];

/** Any C0 control character; descriptions alone may hold tab and line feed. */
const control = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
const FREE_TEXT = new Set(["description"]);
const isFreeTextAllowed = (field: string, c: string) => FREE_TEXT.has(field) && (c === "\t" || c === "\n");

describe("fuzzed control characters", () => {
  it.each(VALID)(
    "when a string of $method $url holds a C0 control, then it is a 400 (tab and newline pass in descriptions)",
    async ({ method, url, body, text }) => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...text),
          control,
          fc.string({ maxLength: 20 }),
          fc.string({ maxLength: 20 }),
          async (field, c, before, after) => {
            const value = `${before}${c}${after}`;
            const res = await gw.app.inject({
              method,
              url,
              headers: { authorization: admin },
              payload: { ...body, [field]: value },
            });
            const detail = `${res.statusCode} for ${field}=${JSON.stringify(value)}: ${res.body}`;
            // The random text around it may hold controls of its own.
            const forbidden = [...value].some((ch) => ch < " " && !isFreeTextAllowed(field, ch));
            if (!forbidden) {
              expect(res.statusCode, detail).toBeLessThan(500);
            } else {
              expect(res.statusCode, detail).toBe(400);
              expect(res.headers["content-type"]).toContain("application/problem+json");
            }
          },
        ),
        { numRuns: 100 },
      );
    },
  );

  it("when a query string value holds a C0 control, then it is a 400 problem, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("q", "cursor"),
        control,
        fc.string({ maxLength: 20 }),
        async (name, c, rest) => {
          const value = encodeURIComponent(`${rest}${c}`);
          const res = await gw.app.inject({ url: `/api/v1/products?${name}=${value}` });
          expect(res.statusCode, `${name}=${value}: ${res.body}`).toBe(400);
          expect(res.json().detail).toBe(`querystring/${name} must not contain control characters`);
        },
      ),
      { numRuns: 200 },
    );
  });
});
