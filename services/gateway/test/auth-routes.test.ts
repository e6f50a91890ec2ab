import { createTestIssuer } from "@shop/identity";
import { AppError } from "@shop/platform";
import { uid } from "@shop/testkit";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

const users = new Map<string, { id: string; email: string; password: string; role: string }>();
let jwksAnswers = 0;

let stub: Stub;
let gw: TestGateway;

beforeAll(async () => {
  stub = await startStub({
    auth: {
      Register: async ({ email, password }) => {
        if (users.has(email)) throw AppError.conflict("email already registered");
        const user = { id: `u-${uid()}`, email, password, role: "customer" };
        users.set(email, user);
        return { ...user, emailVerified: false };
      },
      Login: async ({ email, password, clientIp }) => {
        if (email.startsWith("throttled")) throw new AppError("TOO_MANY_REQUESTS", "too many attempts");
        if (email.startsWith("locked")) throw AppError.tooMany("too many failed logins; retry in 42 s", 42);
        const user = users.get(email);
        if (!user || user.password !== password || !clientIp)
          throw AppError.unauthenticated("invalid email or password");
        return {
          accessToken: "access",
          refreshToken: `refresh-${user.id}`,
          tokenType: "Bearer",
          expiresIn: 900,
        };
      },
      Refresh: async ({ refreshToken }) => {
        if (!refreshToken.startsWith("refresh-")) throw AppError.unauthenticated("invalid refresh token");
        return {
          accessToken: "access-2",
          refreshToken: `${refreshToken}-2`,
          tokenType: "Bearer",
          expiresIn: 900,
        };
      },
      Logout: async () => ({}),
      GetMe: async () => ({ id: "me", email: "me@example.com", role: "customer", emailVerified: true }),
      VerifyEmail: async ({ token }) => {
        if (token !== "good") throw AppError.invalid("bad or used token");
        return {};
      },
      ForgotPassword: async () => ({}),
      ResetPassword: async () => ({}),
      GetJwks: async () => {
        jwksAnswers += 1;
        return { json: JSON.stringify({ keys: [{ kty: "OKP", crv: "Ed25519", x: "abc", kid: "k1" }] }) };
      },
    },
  });
  gw = await startGateway({ downstream: stub.address });
});
afterAll(async () => {
  await gw.close();
  await stub.stop();
});

const post = (url: string, payload: unknown) =>
  gw.app.inject({ method: "POST", url, payload: payload as object });

describe("auth routes", () => {
  it("when a user registers, then it is 201 with the email in lower case", async () => {
    const email = `New-${uid()}@Example.COM`;
    const res = await post("/api/v1/auth/register", { email, password: "correct horse" });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      id: expect.any(String),
      email: email.toLowerCase(),
      role: "customer",
      emailVerified: false,
    });
  });

  it("when an email registers twice, then it is 409", async () => {
    const email = `twice-${uid()}@example.com`;
    await post("/api/v1/auth/register", { email, password: "correct horse" });
    expect((await post("/api/v1/auth/register", { email, password: "correct horse" })).statusCode).toBe(409);
  });

  it.each([
    ["a malformed email", { email: "not-an-email", password: "correct horse" }],
    ["a short password", { email: "a@example.com", password: "short" }],
    ["a 129-character password", { email: "a@example.com", password: "p".repeat(129) }],
    ["a role", { email: "a@example.com", password: "correct horse", role: "admin" }],
    ["a number for email", { email: 5, password: "correct horse" }],
    ["no password", { email: "a@example.com" }],
  ])("when registration has %s, then it is 400 and the auth service is not called", async (_, body) => {
    const before = stub.count("Register");
    const res = await post("/api/v1/auth/register", body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, errors: expect.any(Array) });
    expect(stub.count("Register")).toBe(before);
  });

  it("when a registered user logs in, then the token pair comes back; a wrong password is 401", async () => {
    const email = `login-${uid()}@example.com`;
    await post("/api/v1/auth/register", { email, password: "correct horse" });
    const ok = await post("/api/v1/auth/login", { email, password: "correct horse" });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({
      accessToken: "access",
      refreshToken: expect.any(String),
      tokenType: "Bearer",
      expiresIn: 900,
    });
    const bad = await post("/api/v1/auth/login", { email, password: "wrong horse" });
    expect(bad.statusCode).toBe(401);
  });

  it("when the auth service refuses a login as too many attempts, then it is 429 with Retry-After", async () => {
    const res = await post("/api/v1/auth/login", {
      email: `throttled-${uid()}@example.com`,
      password: "whatever",
    });
    expect(res.statusCode).toBe(429);
    expect(res.headers["retry-after"]).toBe("60");
    const locked = await post("/api/v1/auth/login", {
      email: `locked-${uid()}@example.com`,
      password: "whatever",
    });
    expect(locked.statusCode).toBe(429);
    expect(locked.headers["retry-after"]).toBe("42");
  });

  it("when a refresh token is exchanged, then a new pair comes back; logout is 204", async () => {
    const refreshed = await post("/api/v1/auth/refresh", { refreshToken: "refresh-x" });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().refreshToken).toBe("refresh-x-2");
    expect((await post("/api/v1/auth/refresh", { refreshToken: "stolen" })).statusCode).toBe(401);
    const out = await post("/api/v1/auth/logout", { refreshToken: "refresh-x-2" });
    expect(out.statusCode).toBe(204);
  });

  it("when a response carries tokens (login, refresh), then no cache may store it", async () => {
    const email = `nostore-${uid()}@example.com`;
    await post("/api/v1/auth/register", { email, password: "correct horse" });
    const login = await post("/api/v1/auth/login", { email, password: "correct horse" });
    const refresh = await post("/api/v1/auth/refresh", { refreshToken: login.json().refreshToken });
    for (const res of [login, refresh]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.headers.pragma).toBe("no-cache");
    }
  });

  it("when email verification and password reset are used, then the statuses follow the contract", async () => {
    expect((await post("/api/v1/auth/verify-email", { token: "good" })).statusCode).toBe(204);
    expect((await post("/api/v1/auth/verify-email", { token: "bad" })).statusCode).toBe(400);
    expect((await post("/api/v1/auth/forgot-password", { email: "nobody@example.com" })).statusCode).toBe(
      202,
    );
    expect(
      (await post("/api/v1/auth/reset-password", { token: "t", password: "new password" })).statusCode,
    ).toBe(204);
    expect((await post("/api/v1/auth/reset-password", { token: "t", password: "short" })).statusCode).toBe(
      400,
    );
  });

  it("when a password reset is asked for a registered and an unknown email, then the responses are identical", async () => {
    const email = `known-${uid()}@example.com`;
    expect((await post("/api/v1/auth/register", { email, password: "correct horse" })).statusCode).toBe(201);
    const known = await post("/api/v1/auth/forgot-password", { email });
    const unknown = await post("/api/v1/auth/forgot-password", { email: `unknown-${uid()}@example.com` });
    // Per-request values (ids, trace, date, the caller's remaining request budget) aside.
    const comparable = (headers: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(headers).filter(
          ([name]) => !/^(x-request-id|traceparent|date|x-ratelimit-.*)$/.test(name),
        ),
      );
    expect(known.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.body).toBe(known.body);
    expect(comparable(unknown.headers)).toEqual(comparable(known.headers));
  });

  it("when /auth/me is called with a valid token, then the service gets that token and the user comes back", async () => {
    const bearer = await gw.bearer(`u-${uid()}`);
    const res = await gw.app.inject({ url: "/api/v1/auth/me", headers: { authorization: bearer } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: "me", email: "me@example.com", role: "customer", emailVerified: true });
    expect(stub.requests.GetMe!.at(-1)!.ctx.authorization).toBe(bearer);
  });

  it("when the JWKS is fetched twice, then the auth service is asked once (cached)", async () => {
    const before = jwksAnswers;
    const first = await gw.app.inject({ url: "/.well-known/jwks.json" });
    const second = await gw.app.inject({ url: "/.well-known/jwks.json" });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ keys: [{ kty: "OKP", crv: "Ed25519", x: "abc", kid: "k1" }] });
    expect(second.json()).toEqual(first.json());
    expect(jwksAnswers - before).toBeLessThanOrEqual(1);
  });
});

describe("access tokens", () => {
  const me = (authorization?: string) =>
    gw.app.inject({ url: "/api/v1/auth/me", headers: authorization ? { authorization } : {} });

  it("when no token is sent, then it is 401 problem+json and the service is not called", async () => {
    const before = stub.count("GetMe");
    const res = await me();
    expect(res.statusCode).toBe(401);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(stub.count("GetMe")).toBe(before);
  });

  it("when the token is from another issuer's keys, then it is 401", async () => {
    const stranger = await createTestIssuer();
    expect((await me(await stranger.bearer("u1"))).statusCode).toBe(401);
  });

  it("when the token is expired, then it is 401", async () => {
    const token = await gw.issuer.token("u1", "customer", -60);
    expect((await me(`Bearer ${token}`)).statusCode).toBe(401);
  });

  it("when the token is unsigned (alg none) or HMAC-signed, then it is 401", async () => {
    const claims = Buffer.from(
      JSON.stringify({ sub: "u1", role: "admin", iss: "shop-saga/auth", aud: "shop-saga", exp: 9e9 }),
    ).toString("base64url");
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${claims}.`;
    expect((await me(`Bearer ${none}`)).statusCode).toBe(401);
    const hs = await new SignJWT({ role: "admin" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u1")
      .setIssuer("shop-saga/auth")
      .setAudience("shop-saga")
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode("x".repeat(32)));
    expect((await me(`Bearer ${hs}`)).statusCode).toBe(401);
  });

  it("when the scheme is not Bearer, then it is 401", async () => {
    const token = await gw.issuer.token("u1");
    expect((await me(`Basic ${token}`)).statusCode).toBe(401);
  });
});
