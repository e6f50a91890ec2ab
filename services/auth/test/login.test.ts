import { TOKEN_AUDIENCE, TOKEN_ISSUER } from "@shop/identity";
import { eventually, uid } from "@shop/testkit";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientAddressKey } from "../src/domain/client-address.js";
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
    LOGIN_ADDRESS_MAX_FAILURES: "8",
    LOGIN_ACCOUNT_MAX_FAILURES: "6",
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

/** A client address of its own for each test (the 127.0.0.x ones are spelt out where they matter). */
let nextAddress = 256;
const freshAddress = () => {
  nextAddress += 1;
  return `127.0.${nextAddress >> 8}.${nextAddress & 255}`;
};

describe("login throttling per email and client address", () => {
  it("when an attacker at 127.0.0.2 fails 50 times at an account, then its owner still logs in from 127.0.0.3 with the right password", async () => {
    const { email, password } = await svc.newUser();
    const kinds = new Set<string>();
    for (let i = 0; i < 50; i++) {
      kinds.add(
        (await failure(svc.client.Login({ email, password: "wrong guess", clientIp: "127.0.0.2" }))).kind,
      );
    }
    // The attacker's own address is locked out of that account, even with the right password.
    expect(kinds).toEqual(new Set(["UNAUTHENTICATED", "TOO_MANY_REQUESTS"]));
    expect((await failure(svc.client.Login({ email, password, clientIp: "127.0.0.2" }))).kind).toBe(
      "TOO_MANY_REQUESTS",
    );
    const pair = await svc.client.Login({ email, password, clientIp: "127.0.0.3" });
    expect(pair.tokenType).toBe("Bearer");
  });

  it("when an email fails 3 times from one address, then even the right password from there gets TOO_MANY_REQUESTS with retryAfter", async () => {
    const { email, password } = await svc.newUser();
    const clientIp = freshAddress();
    for (let i = 0; i < 3; i++) {
      expect((await failure(svc.client.Login({ email, password: "wrong guess", clientIp }))).kind).toBe(
        "UNAUTHENTICATED",
      );
    }
    const locked = await failure(svc.client.Login({ email, password, clientIp }));
    expect(locked).toMatchObject({ kind: "TOO_MANY_REQUESTS" });
    expect(locked.message).toMatch(/retry in 1 s/);
    // In-process the AppError carries retryAfter (seconds) for the HTTP Retry-After header.
    const direct = await failure(login(svc.auth, { email, password, clientIp }));
    expect(direct).toMatchObject({ kind: "TOO_MANY_REQUESTS", retryAfter: 1 });
  });

  it("when the lockout passes and the next attempt fails too, then the lockout doubles; a success clears it", async () => {
    const { email, password } = await svc.newUser();
    const clientIp = freshAddress();
    for (let i = 0; i < 3; i++) await failure(svc.client.Login({ email, password: "wrong guess", clientIp }));
    // Wait out the first (1 s) lockout: attempts are refused without counting until then.
    await eventually(async () => {
      const err = await failure(svc.client.Login({ email, password: "wrong guess", clientIp }));
      return err.kind === "UNAUTHENTICATED" ? err : undefined;
    });
    expect(await retryAfterOf(email, clientIp)).toBeGreaterThan(1);
    expect(await retryAfterOf(email, clientIp)).toBeLessThanOrEqual(2);
    // Once it passes, the right password works and the streak is gone.
    await eventually(() => svc.client.Login({ email, password, clientIp }).catch(() => undefined));
    const err = await failure(svc.client.Login({ email, password: "wrong again", clientIp }));
    expect(err.kind).toBe("UNAUTHENTICATED");
    await svc.client.Login({ email, password, clientIp });
  });

  it("when an unknown email fails 3 times, then it is locked exactly like a real account", async () => {
    const email = `ghost-${uid()}@example.com`;
    const clientIp = freshAddress();
    for (let i = 0; i < 3; i++) {
      expect((await failure(svc.client.Login({ email, password: "guess guess", clientIp }))).kind).toBe(
        "UNAUTHENTICATED",
      );
    }
    expect((await failure(svc.client.Login({ email, password: "guess guess", clientIp }))).kind).toBe(
      "TOO_MANY_REQUESTS",
    );
  });

  it("when one address sprays wrong passwords at many emails, then it gets TOO_MANY_REQUESTS after the per-address limit, even for its own account, while other addresses are unaffected", async () => {
    const sprayer = freshAddress();
    const own = await svc.newUser();
    for (let i = 0; i < 8; i++) {
      const email = `target-${uid()}@example.com`;
      expect(
        (await failure(svc.client.Login({ email, password: "Summer2026!", clientIp: sprayer }))).kind,
      ).toBe("UNAUTHENTICATED");
    }
    const next = await failure(
      svc.client.Login({ email: `target-${uid()}@example.com`, password: "Summer2026!", clientIp: sprayer }),
    );
    expect(next).toMatchObject({ kind: "TOO_MANY_REQUESTS" });
    expect(next.message).toMatch(/retry in \d+ s/);
    expect(
      (await failure(svc.client.Login({ email: own.email, password: own.password, clientIp: sprayer }))).kind,
    ).toBe("TOO_MANY_REQUESTS");
    await svc.client.Login({ email: own.email, password: own.password, clientIp: freshAddress() });
  });

  it("when many addresses guess at one account, then those that failed are refused even with the right password, while a fresh address with the right password gets in", async () => {
    const { email, password } = await svc.newUser();
    const botnet = Array.from({ length: 8 }, freshAddress);
    // One guess each stays under the per-pair limit; together they pass the account's limit (6),
    // which locks for 1, 2, then 4 s (the test maximum).
    for (const clientIp of botnet) {
      expect((await failure(svc.client.Login({ email, password: "guess 1234", clientIp }))).kind).toBe(
        "UNAUTHENTICATED",
      );
    }
    expect((await failure(svc.client.Login({ email, password, clientIp: botnet[0] }))).kind).toBe(
      "TOO_MANY_REQUESTS",
    );
    // A fresh address is heard: a wrong guess is an ordinary failure, and from then on it is refused.
    const newcomer = freshAddress();
    expect(
      (await failure(svc.client.Login({ email, password: "guess 5678", clientIp: newcomer }))).kind,
    ).toBe("UNAUTHENTICATED");
    expect((await failure(svc.client.Login({ email, password, clientIp: newcomer }))).kind).toBe(
      "TOO_MANY_REQUESTS",
    );
    // The owner, from an address that has not been failing, always gets in.
    const owner = await svc.client.Login({ email, password, clientIp: freshAddress() });
    expect(owner.tokenType).toBe("Bearer");
  });

  it("when another account is being locked out from an address, then another account can still log in from it", async () => {
    const victim = await svc.newUser();
    const bystander = await svc.newUser();
    const clientIp = freshAddress();
    for (let i = 0; i < 3; i++)
      await failure(svc.client.Login({ email: victim.email, password: "wrong guess", clientIp }));
    await svc.client.Login({ email: bystander.email, password: bystander.password, clientIp });
  });

  it("when IPv6 clients log in, then addresses of one /64 share limits and IPv4-mapped ones count as IPv4", () => {
    expect(clientAddressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(clientAddressKey("2001:0db8:0001:0002::1")).toBe("2001:db8:1:2::/64");
    expect(clientAddressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientAddressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(clientAddressKey("::ffff:127.0.0.2")).toBe("127.0.0.2");
    expect(clientAddressKey("127.0.0.3")).toBe("127.0.0.3");
    expect(clientAddressKey("")).toBe("unknown");
    expect(clientAddressKey("not an address")).toBe("unknown");
  });

  it("when failures keep coming, then the lockout grows by doubling but never beyond the maximum", () => {
    const s = { loginLockoutBaseSeconds: 1, loginLockoutMaxSeconds: 900 } as Parameters<
      typeof lockoutSeconds
    >[2];
    expect([9, 10, 11, 12, 13].map((n) => lockoutSeconds(n, 10, s))).toEqual([0, 1, 2, 4, 8]);
    expect(lockoutSeconds(20, 10, s)).toBe(900);
    expect(lockoutSeconds(10_000, 10, s)).toBe(900);
  });
});

/** The lockout left for an email from an address, as the service would report it in retryAfter. */
async function retryAfterOf(email: string, clientIp: string): Promise<number> {
  return Math.ceil((await svc.auth.loginFailures.read(email, clientIp)).pair.lockedForSeconds);
}
