import { createTestIssuer } from "@shop/identity";
import { AppError } from "@shop/platform";
import { redisUrl, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFreezableProxy } from "./support/frozen-proxy.js";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

let stub: Stub;
const opened: TestGateway[] = [];
/** The client address the auth service was told, per email, in order. */
const loginAddresses = new Map<string, string[]>();

beforeAll(async () => {
  stub = await startStub({
    product: { ListProducts: async () => ({ items: [], nextCursor: "" }) },
    auth: {
      Login: async ({ email, password, clientIp }) => {
        loginAddresses.set(email, [...(loginAddresses.get(email) ?? []), clientIp]);
        if (password !== "right password") throw AppError.unauthenticated("invalid email or password");
        return { accessToken: "access", refreshToken: "refresh", tokenType: "Bearer", expiresIn: 900 };
      },
      ForgotPassword: async () => ({}),
    },
  });
});
afterAll(async () => {
  for (const gw of opened) await gw.close();
  await stub.stop();
});

/** Gateways sharing one Redis key prefix and token issuer, as instances behind one load balancer do. */
async function cluster(size: number, env: Record<string, string>) {
  const prefix = `test:${uid()}:`;
  const issuer = await createTestIssuer();
  const gws: TestGateway[] = [];
  for (let i = 0; i < size; i++) {
    gws.push(
      await startGateway({
        downstream: stub.address,
        issuer,
        env: { RATE_LIMIT_KEY_PREFIX: prefix, ...env },
      }),
    );
  }
  opened.push(...gws);
  return gws;
}

describe("rate limits", () => {
  it("when one IP exceeds the limit across two gateway instances, then it gets 429 with Retry-After and rate headers", async () => {
    const [a, b] = await cluster(2, { RATE_LIMIT_MAX: "4" });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await (i % 2 === 0 ? a! : b!).app.inject({ url: "/api/v1/products" });
      statuses.push(res.statusCode);
      expect(res.headers["x-ratelimit-limit"]).toBe("4");
      expect(res.headers["x-ratelimit-remaining"]).toBe(String(3 - i));
    }
    expect(statuses).toEqual([200, 200, 200, 200]);
    const limited = await b!.app.inject({ url: "/api/v1/products" });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["content-type"]).toContain("application/problem+json");
    expect(limited.json()).toMatchObject({ status: 429, title: "Too Many Requests" });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.headers["x-ratelimit-remaining"]).toBe("0");
    expect(limited.headers["x-ratelimit-reset"]).toEqual(expect.any(String));
  });

  it("when signed-in users share an IP, then each has a limit of their own", async () => {
    const [a, b] = await cluster(2, { RATE_LIMIT_MAX: "2" });
    const alice = await a!.bearer(`alice-${uid()}`);
    const bob = await a!.bearer(`bob-${uid()}`);
    for (const gw of [a!, b!]) {
      expect(
        (await gw.app.inject({ url: "/api/v1/products", headers: { authorization: alice } })).statusCode,
      ).toBe(200);
    }
    expect(
      (await b!.app.inject({ url: "/api/v1/products", headers: { authorization: alice } })).statusCode,
    ).toBe(429);
    expect(
      (await a!.app.inject({ url: "/api/v1/products", headers: { authorization: bob } })).statusCode,
    ).toBe(200);
    // Anonymous callers from the same IP are counted apart from the users.
    expect((await a!.app.inject({ url: "/api/v1/products" })).statusCode).toBe(200);
  });

  it("when one email is tried too often from one IP, then login is 429 while another email still gets through", async () => {
    const [a, b] = await cluster(2, { LOGIN_RATE_LIMIT_MAX: "3" });
    const victim = `victim-${uid()}@example.com`;
    const login = (gw: TestGateway, email: string) =>
      gw.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { email, password: "wrong-password" },
      });
    for (let i = 0; i < 3; i++) expect((await login(i % 2 ? a! : b!, victim)).statusCode).toBe(401);
    const before = stub.count("Login");
    const limited = await login(a!, victim.toUpperCase());
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(stub.count("Login")).toBe(before); // the auth service never saw the attempt
    expect((await login(b!, `other-${uid()}@example.com`)).statusCode).toBe(401);
  });

  it("when an attacker at 127.0.0.2 hammers an email, then its owner logging in from 127.0.0.3 is not limited and the auth service hears each one's own address", async () => {
    const [gw] = await cluster(1, { LOGIN_RATE_LIMIT_MAX: "10" });
    const email = `victim-${uid()}@example.com`;
    const login = (password: string, remoteAddress: string) =>
      gw!.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { email, password },
        remoteAddress,
      });
    const statuses = new Set<number>();
    for (let i = 0; i < 50; i++) statuses.add((await login("wrong guess", "127.0.0.2")).statusCode);
    expect(statuses).toEqual(new Set([401, 429]));
    expect((await login("right password", "127.0.0.2")).statusCode).toBe(429);
    expect((await login("right password", "127.0.0.3")).statusCode).toBe(200);
    expect(loginAddresses.get(email)).toEqual([...Array(10).fill("127.0.0.2"), "127.0.0.3"]);
  });

  it("when the gateway trusts a proxy, then the auth service hears the forwarded client address; otherwise the header is ignored", async () => {
    const [direct] = await cluster(1, {});
    const [proxied] = await cluster(1, { TRUST_PROXY: "127.0.0.9" });
    const forwardedFor = (gw: TestGateway, email: string) =>
      gw.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { email, password: "wrong guess" },
        remoteAddress: "127.0.0.9",
        headers: { "x-forwarded-for": "198.51.100.7" },
      });
    const a = `direct-${uid()}@example.com`;
    const b = `proxied-${uid()}@example.com`;
    await forwardedFor(direct!, a);
    await forwardedFor(proxied!, b);
    expect(loginAddresses.get(a)).toEqual(["127.0.0.9"]);
    expect(loginAddresses.get(b)).toEqual(["198.51.100.7"]);
  });

  it("when a password reset is asked for one email too often, from any IPs, then 429 with Retry-After while other emails get through", async () => {
    const [a, b] = await cluster(2, { FORGOT_PASSWORD_EMAIL_RATE_LIMIT_MAX: "2" });
    const email = `victim-${uid()}@example.com`;
    const forgot = (gw: TestGateway, mail: string, remoteAddress: string) =>
      gw.app.inject({
        method: "POST",
        url: "/api/v1/auth/forgot-password",
        payload: { email: mail },
        remoteAddress,
      });
    expect((await forgot(a!, email, "127.0.0.2")).statusCode).toBe(202);
    expect((await forgot(b!, email, "127.0.0.3")).statusCode).toBe(202);
    const before = stub.count("ForgotPassword");
    const limited = await forgot(a!, email.toUpperCase(), "127.0.0.4");
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(stub.count("ForgotPassword")).toBe(before);
    expect((await forgot(b!, `other-${uid()}@example.com`, "127.0.0.4")).statusCode).toBe(202);
  });

  it("when one IP asks for password resets of many emails, then 429 after the per-IP limit while another IP gets through", async () => {
    const [gw] = await cluster(1, { FORGOT_PASSWORD_IP_RATE_LIMIT_MAX: "3" });
    const forgot = (remoteAddress: string) =>
      gw!.app.inject({
        method: "POST",
        url: "/api/v1/auth/forgot-password",
        payload: { email: `someone-${uid()}@example.com` },
        remoteAddress,
      });
    for (let i = 0; i < 3; i++) expect((await forgot("127.0.0.5")).statusCode).toBe(202);
    const limited = await forgot("127.0.0.5");
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["content-type"]).toContain("application/problem+json");
    expect((await forgot("127.0.0.6")).statusCode).toBe(202);
  });

  it("when Redis hangs instead of refusing, then checks time out and requests pass unlimited", async () => {
    const redis = new URL(redisUrl());
    const proxy = await startFreezableProxy(redis.hostname, Number(redis.port || 6379));
    const gw = await startGateway({
      downstream: stub.address,
      env: {
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        RATE_LIMIT_MAX: "1",
        // Long enough for a busy machine to answer the first two checks, short next to the bound below.
        RATE_LIMIT_REDIS_TIMEOUT_MS: "400",
      },
    });
    opened.push(gw);
    expect((await gw.app.inject({ url: "/api/v1/products" })).statusCode).toBe(200);
    expect((await gw.app.inject({ url: "/api/v1/products" })).statusCode).toBe(429);
    proxy.freeze();
    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      expect((await gw.app.inject({ url: "/api/v1/products" })).statusCode).toBe(200);
      expect(Date.now() - started).toBeLessThan(3_000);
    }
    await proxy.close();
  });

  it("when Redis is unreachable, then requests are served without limits rather than failing", async () => {
    const gw = await startGateway({
      downstream: stub.address,
      env: { REDIS_URL: "redis://127.0.0.1:1", RATE_LIMIT_MAX: "1", LOGIN_RATE_LIMIT_MAX: "1" },
      waitForRedis: false,
    });
    opened.push(gw);
    for (let i = 0; i < 3; i++) {
      expect((await gw.app.inject({ url: "/api/v1/products" })).statusCode).toBe(200);
      const login = await gw.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { email: "a@example.com", password: "whatever1" },
      });
      expect(login.statusCode).toBe(401);
    }
  });
});
