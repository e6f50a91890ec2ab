import { loadConfig } from "@shop/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configSpec } from "../src/config.js";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

let stub: Stub;
let gw: TestGateway;

beforeAll(async () => {
  stub = await startStub({
    product: { ListProducts: async () => ({ items: [], nextCursor: "" }) },
    auth: { Register: async (req) => ({ id: "u1", email: req.email, role: "customer" }) },
  });
  gw = await startGateway({ downstream: stub.address });
});
afterAll(async () => {
  await gw.close();
  await stub.stop();
});

describe("gateway readiness", () => {
  it("when every downstream answers its health check, then readyz is 200", async () => {
    const app = await startGateway({ downstream: stub.address, withHealth: true });
    const res = await app.app.inject({ url: "/readyz" });
    expect(res.json()).toMatchObject({ status: "ready" });
    expect(res.statusCode).toBe(200);
    await app.close();
  });

  it("when a downstream is down, then readyz is 503 and names it", async () => {
    const app = await startGateway({
      downstream: stub.address,
      withHealth: true,
      env: { PRODUCT_GRPC_ADDR: "127.0.0.1:1" },
    });
    const res = await app.app.inject({ url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.product).not.toBe("ok");
    expect(res.json().checks.auth).toBe("ok");
    await app.close();
  });

  it("when GATEWAY_PORT is not a number, then the config error names it", () => {
    expect(() => loadConfig(configSpec, { GATEWAY_PORT: "http" })).toThrow(/GATEWAY_PORT must be an integer/);
  });

  it("when RATE_LIMIT_WINDOW is not a duration, then the config error names it; a valid one is milliseconds", () => {
    expect(() => loadConfig(configSpec, { RATE_LIMIT_WINDOW: "soon" })).toThrow(
      /RATE_LIMIT_WINDOW must be a duration/,
    );
    expect(loadConfig(configSpec, { RATE_LIMIT_WINDOW: "30 seconds" }).rateLimitWindowMs).toBe(30_000);
    expect(loadConfig(configSpec, {}).rateLimitWindowMs).toBe(60_000);
  });
});

describe("gateway edge", () => {
  it.each([
    ["GET", "/healthz"],
    ["GET", "/api/v1/products"],
    ["GET", "/api/v1/no-such-route"],
    ["GET", "/api/v1/auth/me"],
    ["POST", "/api/v1/auth/register"],
    ["GET", "/api/v1/products/%E0%A4%A"],
  ])("when %s %s is called, then the response has a traceparent and a request id", async (method, url) => {
    const res = await gw.app.inject({ method: method as "GET", url });
    expect(res.headers.traceparent).toMatch(TRACEPARENT);
    expect(res.headers["x-request-id"]).toEqual(expect.any(String));
  });

  it("when the caller sends a traceparent, then the response continues its trace with a new span", async () => {
    const incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const res = await gw.app.inject({ url: "/api/v1/products", headers: { traceparent: incoming } });
    const tp = String(res.headers.traceparent);
    expect(tp.slice(0, 36)).toBe(incoming.slice(0, 36));
    expect(tp).not.toBe(incoming);
  });

  it("when the caller sends an x-request-id, then it is echoed", async () => {
    const res = await gw.app.inject({ url: "/api/v1/products", headers: { "x-request-id": "req-abc-123" } });
    expect(res.headers["x-request-id"]).toBe("req-abc-123");
  });

  it("when a body is over 1 MiB, then it is 413 problem+json", async () => {
    const res = await gw.app.inject({
      method: "POST",
      url: "/api/v1/auth/register",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ email: "a@b.co", password: "x".repeat(1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers["content-type"]).toContain("application/problem+json");
  });

  it("when a body is malformed JSON, then it is 400 and the service is not called", async () => {
    const res = await gw.app.inject({
      method: "POST",
      url: "/api/v1/auth/register",
      headers: { "content-type": "application/json" },
      payload: '{"email": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, title: "Bad Request" });
    expect(stub.count("Register")).toBe(0);
  });

  it("when a path segment is not valid percent-encoding, then it is a problem+json 404", async () => {
    const res = await gw.app.inject({ url: "/api/v1/products/%E0%A4%A" });
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toContain("application/problem+json");
  });

  it("when a route does not exist, then it is 404 problem+json", async () => {
    const res = await gw.app.inject({ method: "POST", url: "/api/v1/nowhere" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ status: 404 });
  });

  it("when metrics are scraped, then circuit state per service is exported", async () => {
    expect(await gw.metrics.metrics()).toMatch(/gateway_circuit_state\{service="payment"[^}]*\} 0/);
  });
});
