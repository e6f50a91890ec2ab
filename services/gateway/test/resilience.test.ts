import { setTimeout as delay } from "node:timers/promises";
import { AppError } from "@shop/platform";
import { eventually, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

/** What the stand-in catalog does next: answer, fail as unavailable, fail as internal, or hang. */
let mode: "ok" | "unavailable" | "internal" | "slow" = "ok";
let stub: Stub;
const gateways: TestGateway[] = [];

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

async function behave<T>(value: T): Promise<T> {
  if (mode === "unavailable") throw AppError.unavailable("db down");
  if (mode === "internal") throw new Error("boom at 10.0.0.7:5432");
  if (mode === "slow") await delay(1_000);
  return value;
}

beforeAll(async () => {
  stub = await startStub({
    product: {
      GetProduct: async ({ id }) => {
        if (id === "missing") throw AppError.notFound("product not found");
        if (id === "malformed") throw AppError.invalid("id is not a product id");
        return behave(product);
      },
      CreateProduct: async ({ sku }) => {
        if (sku === "taken") throw AppError.conflict("duplicate sku");
        return behave(product);
      },
      UpdateProduct: async () => {
        throw AppError.conflict("stale version", "STALE_VERSION");
      },
    },
    auth: {
      // Password hashing is slow by design; GetMe is not.
      Login: async () => {
        await delay(600);
        return { accessToken: "a", refreshToken: "r", tokenType: "Bearer", expiresIn: 900 };
      },
      ForgotPassword: async () => {
        await delay(600);
        return {};
      },
    },
  });
});
afterAll(async () => {
  for (const gw of gateways) await gw.close();
  await stub.stop();
});

async function gateway(env: Record<string, string>) {
  const gw = await startGateway({ downstream: stub.address, env });
  gateways.push(gw);
  return gw;
}

async function metric(gw: TestGateway, name: string, service: string): Promise<number> {
  const text = await gw.metrics.metrics();
  const match = new RegExp(`^${name}\\{service="${service}"[^}]*\\} (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : 0;
}

async function createProduct(gw: TestGateway) {
  return gw.app.inject({
    method: "POST",
    url: "/api/v1/products",
    headers: { authorization: await gw.bearer(`admin-${uid()}`, "admin") },
    payload: { sku: `s-${uid()}`, name: "n", priceCents: 1, stock: 1 },
  });
}

describe("resilience", () => {
  it("when a read fails as unavailable, then it is retried with backoff and counted; the 503 hides internals", async () => {
    const gw = await gateway({ DOWNSTREAM_RETRY_MAX_ATTEMPTS: "2", CIRCUIT_BREAKER_THRESHOLD: "50" });
    mode = "unavailable";
    const before = stub.count("GetProduct");
    const res = await gw.app.inject({ url: "/api/v1/products/p1" });
    mode = "ok";
    expect(res.statusCode).toBe(503);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json().detail).toBe("product service unavailable");
    expect(stub.count("GetProduct") - before).toBe(3);
    expect(await metric(gw, "gateway_downstream_retries_total", "product")).toBe(2);
  });

  it("when a write fails, then it is never retried", async () => {
    const gw = await gateway({ DOWNSTREAM_RETRY_MAX_ATTEMPTS: "2", CIRCUIT_BREAKER_THRESHOLD: "50" });
    mode = "unavailable";
    const before = stub.count("CreateProduct");
    const res = await createProduct(gw);
    mode = "ok";
    expect(res.statusCode).toBe(503);
    expect(stub.count("CreateProduct") - before).toBe(1);
    expect(await metric(gw, "gateway_downstream_retries_total", "product")).toBe(0);
  });

  it("when the downstream fails internally, then it is a 500 without the internal message", async () => {
    const gw = await gateway({ DOWNSTREAM_RETRY_MAX_ATTEMPTS: "0", CIRCUIT_BREAKER_THRESHOLD: "50" });
    mode = "internal";
    const res = await gw.app.inject({ url: "/api/v1/products/p1" });
    mode = "ok";
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/boom|10\.0\.0\.7|GetProduct/);
  });

  it("when a call outlives the deadline, then it is 504 without internals", async () => {
    const gw = await gateway({ DOWNSTREAM_TIMEOUT_MS: "150", DOWNSTREAM_RETRY_MAX_ATTEMPTS: "0" });
    mode = "slow";
    const started = Date.now();
    const res = await gw.app.inject({ url: "/api/v1/products/p1" });
    mode = "ok";
    expect(res.statusCode).toBe(504);
    expect(Date.now() - started).toBeLessThan(900);
    expect(res.json()).toMatchObject({ status: 504, detail: "product service timed out" });
  });

  it("when a password call outlives the normal deadline, then it still succeeds within its own, longer one", async () => {
    const gw = await gateway({ DOWNSTREAM_TIMEOUT_MS: "300", PASSWORD_CALL_TIMEOUT_MS: "5000" });
    const login = await gw.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { email: `a-${uid()}@shop.test`, password: "password123" },
    });
    expect(login.statusCode).toBe(200);
    const forgot = await gw.app.inject({
      method: "POST",
      url: "/api/v1/auth/forgot-password",
      payload: { email: `a-${uid()}@shop.test` },
    });
    expect(forgot.statusCode).toBe(504);
  });

  it("when a service keeps failing, then its circuit opens, answers 503 with Retry-After at once, and closes after recovery", async () => {
    const gw = await gateway({
      DOWNSTREAM_RETRY_MAX_ATTEMPTS: "0",
      CIRCUIT_BREAKER_THRESHOLD: "3",
      CIRCUIT_BREAKER_HALF_OPEN_AFTER_MS: "300",
    });
    mode = "unavailable";
    for (let i = 0; i < 3; i++)
      expect((await gw.app.inject({ url: "/api/v1/products/p1" })).statusCode).toBe(503);
    expect(await metric(gw, "gateway_circuit_state", "product")).toBe(1);

    const calls = stub.count("GetProduct");
    const open = await gw.app.inject({ url: "/api/v1/products/p1" });
    expect(open.statusCode).toBe(503);
    expect(open.headers["retry-after"]).toBe("1");
    expect(open.json().code).toBe("CIRCUIT_OPEN");
    expect(stub.count("GetProduct")).toBe(calls); // failed fast: the service was not called
    // Writes share the service's circuit.
    expect((await createProduct(gw)).statusCode).toBe(503);

    mode = "ok";
    await eventually(async () => {
      const res = await gw.app.inject({ url: "/api/v1/products/p1" });
      return res.statusCode === 200 ? res : undefined;
    }, 5_000);
    expect(await metric(gw, "gateway_circuit_state", "product")).toBe(0);
    expect((await createProduct(gw)).statusCode).toBe(201);
  });

  it("when a service stays down, then its open circuit tries it after the initial delay, and waits twice as long after each failed trial", async () => {
    const gw = await gateway({
      DOWNSTREAM_RETRY_MAX_ATTEMPTS: "0",
      CIRCUIT_BREAKER_THRESHOLD: "2",
      CIRCUIT_BREAKER_HALF_OPEN_INITIAL_MS: "200",
      CIRCUIT_BREAKER_HALF_OPEN_AFTER_MS: "1600",
    });
    mode = "unavailable";
    for (let i = 0; i < 2; i++) await gw.app.inject({ url: "/api/v1/products/p1" });
    expect(await metric(gw, "gateway_circuit_state", "product")).toBe(1);
    // Ask all the time for 1.7 s; only the trial calls reach the service.
    const trials: number[] = [];
    const opened = Date.now();
    while (Date.now() - opened < 1_700) {
      const before = stub.count("GetProduct");
      await gw.app.inject({ url: "/api/v1/products/p1" });
      if (stub.count("GetProduct") > before) trials.push(Date.now() - opened);
      await delay(10);
    }
    mode = "ok";
    // Trials at about 200, 600 (+400) and 1400 ms (+800); a fixed 200 ms would make eight.
    expect(trials.length).toBeGreaterThanOrEqual(2);
    expect(trials.length).toBeLessThanOrEqual(4);
    expect(trials[0]).toBeGreaterThanOrEqual(150);
    expect(trials[1]! - trials[0]!).toBeGreaterThanOrEqual(300);
  });

  it("when a service answers not found repeatedly, then its circuit stays closed", async () => {
    const gw = await gateway({ DOWNSTREAM_RETRY_MAX_ATTEMPTS: "2", CIRCUIT_BREAKER_THRESHOLD: "2" });
    const before = stub.count("GetProduct");
    for (let i = 0; i < 5; i++)
      expect((await gw.app.inject({ url: "/api/v1/products/missing" })).statusCode).toBe(404);
    expect(stub.count("GetProduct") - before).toBe(5); // and a 404 is not retried
    expect(await metric(gw, "gateway_circuit_state", "product")).toBe(0);
    expect((await gw.app.inject({ url: "/api/v1/products/p1" })).statusCode).toBe(200);
  });

  it("when a read fails after its retries, then it counts once toward the circuit", async () => {
    const gw = await gateway({ DOWNSTREAM_RETRY_MAX_ATTEMPTS: "2", CIRCUIT_BREAKER_THRESHOLD: "3" });
    mode = "unavailable";
    const before = stub.count("GetProduct");
    for (let i = 0; i < 2; i++)
      expect((await gw.app.inject({ url: "/api/v1/products/p1" })).statusCode).toBe(503);
    // Six failed attempts, two failed requests: below the threshold of three.
    expect(stub.count("GetProduct") - before).toBe(6);
    expect(await metric(gw, "gateway_circuit_state", "product")).toBe(0);
    const third = await gw.app.inject({ url: "/api/v1/products/p1" });
    mode = "ok";
    expect(third.statusCode).toBe(503);
    expect(await metric(gw, "gateway_circuit_state", "product")).toBe(1);
  });

  it("when a client sends 100 bad requests, then the circuit stays closed and another client's reads all succeed", async () => {
    const gw = await gateway({
      DOWNSTREAM_RETRY_MAX_ATTEMPTS: "2",
      CIRCUIT_BREAKER_THRESHOLD: "3",
      // An opened circuit would fail every read below for ten seconds.
      CIRCUIT_BREAKER_HALF_OPEN_INITIAL_MS: "10000",
      PRODUCT_CACHE_TTL_MS: "0",
      RATE_LIMIT_MAX: "100000",
    });
    const admin = await gw.bearer(`admin-${uid()}`, "admin");
    const bad = [
      () => gw.app.inject({ url: "/api/v1/products/malformed" }), // INVALID_ARGUMENT downstream
      () => gw.app.inject({ url: "/api/v1/products/missing" }), // NOT_FOUND downstream
      () =>
        gw.app.inject({
          method: "POST",
          url: "/api/v1/products",
          headers: { authorization: admin },
          payload: { sku: "taken", name: "n", priceCents: 1, stock: 1 },
        }), // CONFLICT downstream
      () =>
        gw.app.inject({
          method: "PATCH",
          url: "/api/v1/products/p1",
          headers: { authorization: admin },
          payload: { version: 1, name: "n" },
        }), // stale version downstream
      () => gw.app.inject({ url: "/api/v1/products?q=%00" }), // refused at the gateway
      () =>
        gw.app.inject({
          method: "POST",
          url: "/api/v1/products",
          headers: { authorization: admin },
          payload: { sku: "s", name: "\u0000", priceCents: 1, stock: 1 },
        }), // refused at the gateway
      () => gw.app.inject({ url: "/api/v1/products?limit=0" }), // refused by the schema
    ];
    const sendBad = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const res = await bad[i % bad.length]!();
        expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, res.body).toBeLessThan(500);
      }
    };
    // First alone, so no success in between could reset a consecutive count.
    await sendBad(50);
    expect(await metric(gw, "gateway_circuit_state", "product")).toBe(0);

    const reads: number[] = [];
    const reader = async () => {
      for (let i = 0; i < 30; i++) {
        reads.push((await gw.app.inject({ url: "/api/v1/products/p1" })).statusCode);
        await delay(2);
      }
    };
    await Promise.all([sendBad(50), reader()]);
    expect(reads).toEqual(Array(30).fill(200));
    expect(await metric(gw, "gateway_circuit_state", "product")).toBe(0);
  });

  it("when a service is down, then requests fail fast with 503 instead of hanging", async () => {
    const gw = await gateway({ PRODUCT_GRPC_ADDR: "127.0.0.1:1", DOWNSTREAM_TIMEOUT_MS: "2000" });
    const started = Date.now();
    const res = await gw.app.inject({ url: "/api/v1/products/p1" });
    expect(res.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(res.body).not.toContain("127.0.0.1");
  });
});
