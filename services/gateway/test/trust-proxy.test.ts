import { loadConfig } from "@shop/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configSpec } from "../src/config.js";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

let stub: Stub;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  stub = await startStub({ product: { ListProducts: async () => ({ items: [], nextCursor: "" }) } });
});
afterAll(async () => {
  for (const gw of gateways) await gw.close();
  await stub.stop();
});

async function gateway(env: Record<string, string>) {
  // Anonymous requests are limited per client IP: the bucket shows which address the gateway saw.
  const gw = await startGateway({ downstream: stub.address, env: { RATE_LIMIT_MAX: "2", ...env } });
  gateways.push(gw);
  return gw;
}

/** Three requests, each claiming another client address; statuses in order. */
async function spoofed(gw: TestGateway, remoteAddress: string) {
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await gw.app.inject({
      url: "/api/v1/products",
      remoteAddress,
      headers: { "x-forwarded-for": `203.0.113.${i + 1}` },
    });
    statuses.push(res.statusCode);
  }
  return statuses;
}

describe("TRUST_PROXY", () => {
  it("when it is unset, then X-Forwarded-For is ignored: one client cannot spread over fresh buckets", async () => {
    const gw = await gateway({});
    expect(await spoofed(gw, "127.0.0.1")).toEqual([200, 200, 429]);
  });

  it("when it lists a proxy, then only that proxy's X-Forwarded-For names the client", async () => {
    const gw = await gateway({ TRUST_PROXY: "127.0.0.1, 10.1.0.0/16" });
    // Through the listed proxy each forwarded client has its own bucket.
    expect(await spoofed(gw, "127.0.0.1")).toEqual([200, 200, 200]);
    expect(await spoofed(gw, "10.1.2.3")).toEqual([200, 200, 200]);
    // Straight from an unlisted address the header is the caller's own claim: ignored.
    expect(await spoofed(gw, `192.0.2.${Math.floor(Math.random() * 200) + 1}`)).toEqual([200, 200, 429]);
  });

  it.each(["true", "TRUE", "yes", "on"])(
    "when it is %s, then start-up refuses it naming the variable",
    (raw) => {
      expect(() => loadConfig(configSpec, { TRUST_PROXY: raw })).toThrow(
        /TRUST_PROXY .*would trust any client/,
      );
    },
  );

  it("when it is a hop count, then start-up refuses it: Fastify would silently trust nobody", () => {
    expect(() => loadConfig(configSpec, { TRUST_PROXY: "1" })).toThrow(/TRUST_PROXY .*not a hop count/);
  });

  it.each(["0.0.0.0/0", "::/0", "*", "10.0.0.1,0.0.0.0/0", "10.0.0.0/0", "not-an-ip", "10.0.0.0/33"])(
    "when it is %s, then start-up refuses it naming the variable",
    (raw) => {
      expect(() => loadConfig(configSpec, { TRUST_PROXY: raw })).toThrow(
        /^invalid configuration: TRUST_PROXY /,
      );
    },
  );

  it("when it is a list or off, then the config holds Fastify's form", () => {
    const parse = (raw?: string) =>
      loadConfig(configSpec, raw === undefined ? {} : { TRUST_PROXY: raw }).trustProxy;
    expect(parse()).toBe(false);
    expect(parse("false")).toBe(false);
    expect(parse("0")).toBe(false);
    expect(parse(`10.0.0.1, fd00::/8,loopback`)).toEqual(["10.0.0.1", "fd00::/8", "loopback"]);
  });
});
