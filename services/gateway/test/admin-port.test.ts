import { loadConfig } from "@shop/platform";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAdminApp } from "../src/app.js";
import { configSpec } from "../src/config.js";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

let stub: Stub;
let gw: TestGateway;
let admin: FastifyInstance;
let adminUrl: string;

beforeAll(async () => {
  stub = await startStub({ product: { ListProducts: async () => ({ items: [], nextCursor: "" }) } });
  gw = await startGateway({ downstream: stub.address });
  // The same registry as the public app, as main.ts wires them.
  admin = buildAdminApp({ logger: gw.app.log as never, metrics: gw.metrics });
  await admin.listen({ host: gw.config.adminHost, port: 0 });
  const address = admin.server.address() as { address: string; port: number };
  adminUrl = `http://${address.address}:${address.port}`;
});
afterAll(async () => {
  await admin.close();
  await gw.close();
  await stub.stop();
});

describe("metrics on the admin port only", () => {
  it("when /metrics is asked on the public port, then it is the usual 404 problem, with no metrics in it", async () => {
    for (const url of ["/metrics", "/metrics?x=1", "/METRICS"]) {
      const res = await gw.app.inject({ url });
      expect(res.statusCode).toBe(404);
      expect(res.headers["content-type"]).toContain("application/problem+json");
      expect(res.body).not.toContain("gateway_circuit_state");
      expect(res.headers["x-request-id"]).toBeDefined();
    }
  });

  it("when the admin port is scraped, then it serves what the public app recorded", async () => {
    expect((await gw.app.inject({ url: "/api/v1/products" })).statusCode).toBe(200);
    const res = await fetch(`${adminUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toMatch(/gateway_circuit_state\{service="payment"[^}]*\} 0/);
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/products"/);
  });

  it("when the admin port is asked for anything else, then it is 404 problem+json; /healthz is 200", async () => {
    expect((await fetch(`${adminUrl}/healthz`)).status).toBe(200);
    const res = await fetch(`${adminUrl}/api/v1/products`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });

  it("when nothing is configured, then the admin port is 9080 on 127.0.0.1 only", () => {
    const config = loadConfig(configSpec, {});
    expect(config.adminPort).toBe(9080);
    expect(config.adminHost).toBe("127.0.0.1");
    expect(adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:/);
    expect(() => loadConfig(configSpec, { GATEWAY_ADMIN_PORT: "70000" })).toThrow(/GATEWAY_ADMIN_PORT/);
  });
});
