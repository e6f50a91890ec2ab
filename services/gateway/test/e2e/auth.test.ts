import { eventually, uid } from "@shop/testkit";
import { describe, expect, inject, it } from "vitest";
import { call } from "./client.js";
import { db } from "./invariants.js";
import { mailTo } from "./mail-sink.js";

const SUBJECTS = { VERIFY_EMAIL: "Confirm your email address", PASSWORD_RESET: "Reset your password" };
const PATHS = { VERIFY_EMAIL: "verify-email", PASSWORD_RESET: "reset-password" };

/**
 * The one-time code of the newest email of that type the SMTP peer received for the address
 * (what the customer reads); the email's link carries the same code. The stored copy of the
 * message shows neither.
 */
async function codeFromEmail(
  user: { id: string; email: string },
  type: "VERIFY_EMAIL" | "PASSWORD_RESET",
): Promise<string> {
  const mail = await eventually(
    () => mailTo(inject("mailDir"), user.email).findLast((m) => m.includes(`Subject: ${SUBJECTS[type]}`)),
    30_000,
  );
  const code = /code: ([A-Za-z0-9_-]+)/.exec(mail)![1]!;
  expect(mail).toContain(`/${PATHS[type]}?token=${code}`);
  const sql = db("notification");
  try {
    const rows = await sql`select n::text as row from notifications n where user_id = ${user.id}`;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.row).join("\n")).not.toContain(code);
  } finally {
    await sql.end();
  }
  return code;
}

async function register() {
  const email = `A-${uid()}@Shop.Test`;
  const password = `pw-${uid()}`;
  const res = await call("POST", "/api/v1/auth/register", { body: { email, password } });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ email: email.toLowerCase(), role: "customer" });
  return { id: res.body.id as string, email: email.toLowerCase(), password };
}

const login = (email: string, password: string) =>
  call("POST", "/api/v1/auth/login", { body: { email, password } });

describe("accounts through the gateway, against the real auth service", () => {
  it("when a refresh token is rotated and the old one is presented again, then 401 and the whole login is revoked", async () => {
    const user = await register();
    const first = await login(user.email, user.password);
    expect(first.body).toMatchObject({ tokenType: "Bearer", expiresIn: expect.any(Number) });
    expect(first.body.expiresIn).toBeLessThanOrEqual(900);
    const second = await call("POST", "/api/v1/auth/refresh", {
      body: { refreshToken: first.body.refreshToken },
    });
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.body.refreshToken);

    const reuse = await call("POST", "/api/v1/auth/refresh", {
      body: { refreshToken: first.body.refreshToken },
    });
    expect(reuse.status).toBe(401);
    const newest = await call("POST", "/api/v1/auth/refresh", {
      body: { refreshToken: second.body.refreshToken },
    });
    expect(newest.status).toBe(401);
  });

  it("when a user logs out, then that login's refresh token stops working but another login's does not", async () => {
    const user = await register();
    const a = await login(user.email, user.password);
    const b = await login(user.email, user.password);
    expect(
      (await call("POST", "/api/v1/auth/logout", { body: { refreshToken: a.body.refreshToken } })).status,
    ).toBe(204);
    expect(
      (await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: a.body.refreshToken } })).status,
    ).toBe(401);
    expect(
      (await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: b.body.refreshToken } })).status,
    ).toBe(200);
  });

  it("when the code from the welcome email is used, then the email is verified, once", async () => {
    const user = await register();
    const token = (await login(user.email, user.password)).body.accessToken;
    expect((await call("GET", "/api/v1/auth/me", { token })).body).toMatchObject({
      id: user.id,
      emailVerified: false,
    });
    const code = await codeFromEmail(user, "VERIFY_EMAIL");
    expect((await call("POST", "/api/v1/auth/verify-email", { body: { token: code } })).status).toBe(204);
    expect((await call("GET", "/api/v1/auth/me", { token })).body.emailVerified).toBe(true);
    expect((await call("POST", "/api/v1/auth/verify-email", { body: { token: code } })).status).toBe(400);
  });

  it("when a password is reset with the emailed code, then the new one works, the old one and every refresh token do not", async () => {
    const user = await register();
    const before = await login(user.email, user.password);
    expect((await call("POST", "/api/v1/auth/forgot-password", { body: { email: user.email } })).status).toBe(
      202,
    );
    expect(
      (await call("POST", "/api/v1/auth/forgot-password", { body: { email: `nobody-${uid()}@shop.test` } }))
        .status,
    ).toBe(202);
    const code = await codeFromEmail(user, "PASSWORD_RESET");
    const next = `new-${uid()}`;
    expect(
      (await call("POST", "/api/v1/auth/reset-password", { body: { token: code, password: next } })).status,
    ).toBe(204);
    expect((await login(user.email, next)).status).toBe(200);
    expect((await login(user.email, user.password)).status).toBe(401);
    expect(
      (await call("POST", "/api/v1/auth/refresh", { body: { refreshToken: before.body.refreshToken } }))
        .status,
    ).toBe(401);
    expect(
      (await call("POST", "/api/v1/auth/reset-password", { body: { token: code, password: `x-${uid()}` } }))
        .status,
    ).toBe(400);
  });

  it("when the email is unknown or the password wrong, then the same 401 body comes back", async () => {
    const user = await register();
    const wrong = await login(user.email, "not-the-password");
    const unknown = await login(`ghost-${uid()}@shop.test`, "not-the-password");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it("when access tokens are forged, then the gateway answers 401; the JWKS it publishes has no private parts", async () => {
    const jwks = await call("GET", "/.well-known/jwks.json");
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys.length).toBeGreaterThan(0);
    for (const key of jwks.body.keys) {
      expect(key.kid).toEqual(expect.any(String));
      expect(key.d).toBeUndefined();
    }
    const user = await register();
    const token = (await login(user.email, user.password)).body.accessToken as string;
    const [header, payload] = token.split(".");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), role: "admin" })).toString("base64url")}.${token.split(".")[2]}`;
    for (const forged of [none, tampered, "garbage"]) {
      expect((await call("GET", "/api/v1/auth/me", { token: forged })).status).toBe(401);
    }
    expect((await call("GET", "/api/v1/auth/me", { token })).status).toBe(200);
  });
});
