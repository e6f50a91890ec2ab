import { TOKEN_AUDIENCE, TOKEN_ISSUER } from "@shop/identity";
import { eventually, uid } from "@shop/testkit";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { login } from "../src/domain/login.js";
import { lockoutSeconds } from "../src/domain/login-throttle.js";
import { type AuthService, failure, startAuthService } from "./harness.js";

let svc: AuthService;
beforeAll(async () => {
  // A short streak and short lockouts keep the throttling tests quick.
  svc = await startAuthService({
    LOGIN_MAX_FAILURES: "3",
    LOGIN_LOCKOUT_BASE_SECONDS: "1",
    LOGIN_LOCKOUT_MAX_SECONDS: "4",
  });
});
afterAll(() => svc.stop());

describe("login", () => {
  it("when the credentials are right, then a Bearer pair with a 15-minute EdDSA access token comes back", async () => {
    const { email, password, user } = await svc.newUser();
    const pair = await svc.client.Login({ email, password, clientIp: "203.0.113.9" });
    expect(pair).toMatchObject({ tokenType: "Bearer", expiresIn: 900 });
    expect(pair.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const header = decodeProtectedHeader(pair.accessToken);
    const { signing } = await svc.auth.keys.current();
    expect(header).toMatchObject({ alg: "EdDSA", kid: signing.kid, typ: "JWT" });
    const claims = decodeJwt(pair.accessToken);
    expect(claims).toMatchObject({
      sub: user.id,
      role: "customer",
      email_verified: false,
      iss: TOKEN_ISSUER,
      aud: TOKEN_AUDIENCE,
    });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(30);
  });

  it("when the email differs only in letter case, then the login succeeds", async () => {
    const { email, password } = await svc.newUser();
    await svc.client.Login({ email: email.toUpperCase(), password });
  });

  it("when the email is unknown or the password wrong, then both get the same UNAUTHENTICATED answer", async () => {
    const { email } = await svc.newUser();
    const wrong = await failure(svc.client.Login({ email, password: "not the password" }));
    const unknown = await failure(
      svc.client.Login({ email: `nobody-${uid()}@example.com`, password: "not the password" }),
    );
    expect(wrong).toMatchObject({ kind: "UNAUTHENTICATED", message: "invalid email or password" });
    expect(unknown).toMatchObject({ kind: wrong.kind, code: wrong.code, message: wrong.message });
  });

  it("when the email is malformed, then INVALID_ARGUMENT", async () => {
    const err = await failure(svc.client.Login({ email: "no-at-sign", password: "whatever123" }));
    expect(err.kind).toBe("INVALID_ARGUMENT");
  });
});

describe("login throttling per account", () => {
  it("when an account fails 3 times in a row, then even the right password gets TOO_MANY_REQUESTS with retryAfter", async () => {
    const { email, password } = await svc.newUser();
    for (let i = 0; i < 3; i++) {
      expect((await failure(svc.client.Login({ email, password: "wrong guess" }))).kind).toBe(
        "UNAUTHENTICATED",
      );
    }
    const locked = await failure(svc.client.Login({ email, password }));
    expect(locked).toMatchObject({ kind: "TOO_MANY_REQUESTS" });
    expect(locked.message).toMatch(/retry in 1 s/);
    // In-process the AppError carries retryAfter (seconds) for the HTTP Retry-After header.
    const direct = await failure(login(svc.auth, { email, password }));
    expect(direct).toMatchObject({ kind: "TOO_MANY_REQUESTS", retryAfter: 1 });
  });

  it("when the lockout passes and the next attempt fails too, then the lockout doubles; a success clears it", async () => {
    const { email, password } = await svc.newUser();
    for (let i = 0; i < 3; i++) await failure(svc.client.Login({ email, password: "wrong guess" }));
    // Wait out the first (1 s) lockout: attempts are refused without counting until then.
    await eventually(async () => {
      const err = await failure(svc.client.Login({ email, password: "wrong guess" }));
      return err.kind === "UNAUTHENTICATED" ? err : undefined;
    });
    expect(await retryAfterOf(email)).toBeGreaterThan(1);
    expect(await retryAfterOf(email)).toBeLessThanOrEqual(2);
    // Once it passes, the right password works and the streak is gone.
    await eventually(() => svc.client.Login({ email, password }).catch(() => undefined));
    const err = await failure(svc.client.Login({ email, password: "wrong again" }));
    expect(err.kind).toBe("UNAUTHENTICATED");
    await svc.client.Login({ email, password });
  });

  it("when an unknown email fails 3 times, then it is locked exactly like a real account", async () => {
    const email = `ghost-${uid()}@example.com`;
    for (let i = 0; i < 3; i++) {
      expect((await failure(svc.client.Login({ email, password: "guess guess" }))).kind).toBe(
        "UNAUTHENTICATED",
      );
    }
    expect((await failure(svc.client.Login({ email, password: "guess guess" }))).kind).toBe(
      "TOO_MANY_REQUESTS",
    );
  });

  it("when another account is being locked out, then this account can still log in", async () => {
    const victim = await svc.newUser();
    const bystander = await svc.newUser();
    for (let i = 0; i < 3; i++)
      await failure(svc.client.Login({ email: victim.email, password: "wrong guess" }));
    await svc.client.Login({ email: bystander.email, password: bystander.password });
  });

  it("when failures keep coming, then the lockout grows by doubling but never beyond the maximum", () => {
    const s = {
      loginMaxFailures: 10,
      loginLockoutBaseSeconds: 1,
      loginLockoutMaxSeconds: 900,
    } as Parameters<typeof lockoutSeconds>[1];
    expect([9, 10, 11, 12, 13].map((n) => lockoutSeconds(n, s))).toEqual([0, 1, 2, 4, 8]);
    expect(lockoutSeconds(20, s)).toBe(900);
    expect(lockoutSeconds(10_000, s)).toBe(900);
  });
});

/** The lockout left for an account, as the service would report it in retryAfter. */
async function retryAfterOf(email: string): Promise<number> {
  return Math.ceil(await svc.auth.loginFailures.lockedForSeconds(email));
}
