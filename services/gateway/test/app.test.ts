import { once } from "node:events";
import { createGrpcServer } from "@shop/grpc";
import { createLogger, createMetricsRegistry, createRedis, loadConfig } from "@shop/platform";
import { redisUrl } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHttpApp } from "../src/app.js";
import { configSpec } from "../src/config.js";
import { createDownstreamHealth } from "../src/data-access/downstreams.js";

const logger = createLogger({ service: "gateway", level: "silent" });
const downstream = createGrpcServer({ logger, metrics: createMetricsRegistry("fake") });
let port = 0;

beforeAll(async () => {
  port = await downstream.listen("127.0.0.1", 0);
});
afterAll(() => downstream.shutdown(1_000));

async function build(addresses: Record<string, string>) {
  const config = loadConfig(configSpec, {
    REDIS_URL: redisUrl(),
    DOWNSTREAM_TIMEOUT_MS: "500",
    ...addresses,
  });
  const redis = createRedis(config.redisUrl);
  await once(redis, "ready");
  const health = createDownstreamHealth(config);
  const app = buildHttpApp({ logger, metrics: createMetricsRegistry("gateway"), redis, health });
  app.addHook("onClose", async () => {
    redis.disconnect();
    for (const c of Object.values(health)) c.close();
  });
  return app;
}

describe("gateway readiness", () => {
  it("when every downstream answers its health check, then readyz is 200", async () => {
    const addr = `127.0.0.1:${port}`;
    const app = await build({
      AUTH_GRPC_ADDR: addr,
      PRODUCT_GRPC_ADDR: addr,
      ORDER_GRPC_ADDR: addr,
      PAYMENT_GRPC_ADDR: addr,
      NOTIFICATION_GRPC_ADDR: addr,
    });
    const res = await app.inject({ url: "/readyz" });
    expect(res.json()).toMatchObject({ status: "ready" });
    expect(res.statusCode).toBe(200);
    await app.close();
  });

  it("when a downstream is down, then readyz is 503 and names it", async () => {
    const addr = `127.0.0.1:${port}`;
    const app = await build({
      AUTH_GRPC_ADDR: addr,
      PRODUCT_GRPC_ADDR: "127.0.0.1:1",
      ORDER_GRPC_ADDR: addr,
      PAYMENT_GRPC_ADDR: addr,
      NOTIFICATION_GRPC_ADDR: addr,
    });
    const res = await app.inject({ url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.product).not.toBe("ok");
    expect(res.json().checks.auth).toBe("ok");
    await app.close();
  });

  it("when GATEWAY_PORT is not a number, then the config error names it", () => {
    expect(() => loadConfig(configSpec, { GATEWAY_PORT: "http" })).toThrow(/GATEWAY_PORT must be an integer/);
  });
});
