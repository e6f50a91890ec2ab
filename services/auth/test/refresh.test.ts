import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthService, failure, startAuthService } from "./harness.js";

let svc: AuthService;
beforeAll(async () => {
  svc = await startAuthService();
});
afterAll(() => svc.stop());

async function loggedIn() {
  const account = await svc.newUser();
  const pair = await svc.client.Login({ email: account.email, password: account.password });
  return { ...account, pair };
}

const refresh = (refreshToken: string) => svc.client.Refresh({ refreshToken });

describe("refresh", () => {
  it("when a refresh token is used, then a new pair comes back and the presented token stops working", async () => {
    const { pair, user } = await loggedIn();
    const next = await refresh(pair.refreshToken);
    expect(next).toMatchObject({ tokenType: "Bearer", expiresIn: 900 });
    expect(next.refreshToken).not.toBe(pair.refreshToken);
    expect((await svc.client.GetMe({}, { authorization: `Bearer ${next.accessToken}` })).id).toBe(user.id);
    expect((await failure(refresh(pair.refreshToken))).kind).toBe("UNAUTHENTICATED");
  });

  it("when an already-rotated token is presented, then 401 and the newest token of that login stops working too", async () => {
    const { pair } = await loggedIn();
    const second = await refresh(pair.refreshToken);
    const third = await refresh(second.refreshToken);
    expect((await failure(refresh(pair.refreshToken))).kind).toBe("UNAUTHENTICATED");
    expect((await failure(refresh(third.refreshToken))).kind).toBe("UNAUTHENTICATED");
    const [family] = await svc.sql<{ reason: string }[]>`
      select revoked_reason as reason from refresh_families f
      join refresh_tokens t on t.family_id = f.id
      where t.token_hash = ${sha256(third.refreshToken)}
    `;
    expect(family!.reason).toBe("reuse");
    expect(await svc.metrics.metrics()).toMatch(/auth_refreshes_total\{outcome="reuse"[^}]*\} [1-9]/);
  });

  it("when one login's token is reused, then the user's other logins keep working", async () => {
    const { email, password, pair } = await loggedIn();
    const other = await svc.client.Login({ email, password });
    await refresh(pair.refreshToken);
    await failure(refresh(pair.refreshToken));
    await refresh(other.refreshToken);
  });

  it("when the same token is refreshed twice at once, then exactly one call succeeds", async () => {
    const { pair } = await loggedIn();
    const results = await Promise.allSettled([refresh(pair.refreshToken), refresh(pair.refreshToken)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ kind: "UNAUTHENTICATED" });
  });

  it("when the login is older than its absolute expiry, then refresh is 401 even with an unused token", async () => {
    const { pair } = await loggedIn();
    const next = await refresh(pair.refreshToken);
    await svc.sql`
      update refresh_families set expires_at = now() - interval '1 second'
      where id = (select family_id from refresh_tokens where token_hash = ${sha256(next.refreshToken)})
    `;
    expect((await failure(refresh(next.refreshToken))).kind).toBe("UNAUTHENTICATED");
  });

  it("when a login is created, then its family expires 30 days later and refreshing does not extend it", async () => {
    const { pair } = await loggedIn();
    const before = await familyOf(pair.refreshToken);
    const next = await refresh(pair.refreshToken);
    const after = await familyOf(next.refreshToken);
    expect(after.id).toBe(before.id);
    expect(after.expiresAt.getTime()).toBe(before.expiresAt.getTime());
    const days = (before.expiresAt.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.99);
    expect(days).toBeLessThanOrEqual(30);
  });

  it("when refresh tokens are stored, then only their SHA-256 digests are in the database", async () => {
    const { pair } = await loggedIn();
    const rows = await svc.sql`select 1 from refresh_tokens where token_hash = ${sha256(pair.refreshToken)}`;
    expect(rows).toHaveLength(1);
    const raw = await svc.sql`
      select 1 from refresh_tokens where encode(token_hash, 'escape') like ${`%${pair.refreshToken}%`}
    `;
    expect(raw).toHaveLength(0);
  });

  it("when the token is unknown or junk, then 401; when it is empty, then INVALID_ARGUMENT", async () => {
    expect((await failure(refresh("A".repeat(43)))).kind).toBe("UNAUTHENTICATED");
    expect((await failure(refresh("not a token"))).kind).toBe("UNAUTHENTICATED");
    expect((await failure(refresh(""))).kind).toBe("INVALID_ARGUMENT");
  });
});

describe("logout", () => {
  it("when logging out, then that login's refresh tokens stop working and other logins keep working", async () => {
    const { email, password, pair } = await loggedIn();
    const other = await svc.client.Login({ email, password });
    const next = await refresh(pair.refreshToken);
    await svc.client.Logout({ refreshToken: next.refreshToken });
    expect((await failure(refresh(next.refreshToken))).kind).toBe("UNAUTHENTICATED");
    await refresh(other.refreshToken);
  });

  it("when logging out twice or with an unknown token, then it still succeeds", async () => {
    const { pair } = await loggedIn();
    await svc.client.Logout({ refreshToken: pair.refreshToken });
    await svc.client.Logout({ refreshToken: pair.refreshToken });
    await svc.client.Logout({ refreshToken: "B".repeat(43) });
    expect((await failure(svc.client.Logout({ refreshToken: "" }))).kind).toBe("INVALID_ARGUMENT");
  });
});

function sha256(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

async function familyOf(token: string) {
  const [row] = await svc.sql<{ id: string; expiresAt: Date }[]>`
    select f.id, f.expires_at as "expiresAt" from refresh_families f
    join refresh_tokens t on t.family_id = f.id where t.token_hash = ${sha256(token)}
  `;
  return row!;
}
