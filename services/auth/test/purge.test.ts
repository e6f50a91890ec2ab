import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeExpired } from "../src/domain/purge-expired.js";
import { type AuthService, failure, startAuthService } from "./harness.js";

let svc: AuthService;
beforeAll(async () => {
  svc = await startAuthService();
});
afterAll(() => svc.stop());

const sha256 = (s: string) => createHash("sha256").update(s).digest();

describe("purging expired rows", () => {
  it("when logins and tokens ended over a week ago, then they are deleted and live ones stay usable", async () => {
    const { email, password, user } = await svc.newUser();
    const ended = await svc.client.Login({ email, password });
    const live = await svc.client.Login({ email, password });
    await svc.client.Logout({ refreshToken: ended.refreshToken });
    await svc.sql`
      update refresh_families set revoked_at = now() - interval '8 days'
      where id = (select family_id from refresh_tokens where token_hash = ${sha256(ended.refreshToken)})
    `;
    await svc.sql`update one_time_tokens set expires_at = now() - interval '8 days' where user_id = ${user.id}`;
    await svc.sql`
      insert into login_failure_streaks (email, client_address, failures, last_failed_at)
      values (${`stale-${email}`}, '192.0.2.1', 3, now() - interval '2 days')
    `;
    await svc.sql`
      insert into password_reset_requests (email_digest, requested_at) values (${sha256(email)}, now() - interval '8 days')
    `;

    const purged = await purgeExpired(svc.auth);
    expect(purged.refreshFamilies).toBeGreaterThanOrEqual(1);
    expect(purged.oneTimeTokens).toBeGreaterThanOrEqual(1);
    expect(purged.loginFailures).toBeGreaterThanOrEqual(1);
    expect(purged.resetRequests).toBeGreaterThanOrEqual(1);

    expect(
      await svc.sql`select 1 from refresh_tokens where token_hash = ${sha256(ended.refreshToken)}`,
    ).toHaveLength(0);
    expect(await svc.sql`select 1 from one_time_tokens where user_id = ${user.id}`).toHaveLength(0);
    expect((await failure(svc.client.Refresh({ refreshToken: ended.refreshToken }))).kind).toBe(
      "UNAUTHENTICATED",
    );
    await svc.client.Refresh({ refreshToken: live.refreshToken });
  });

  it("when a family is live, then its rotated tokens are kept so reuse is still detected", async () => {
    const { email, password } = await svc.newUser();
    const first = await svc.client.Login({ email, password });
    const second = await svc.client.Refresh({ refreshToken: first.refreshToken });
    await purgeExpired(svc.auth);
    await failure(svc.client.Refresh({ refreshToken: first.refreshToken }));
    expect((await failure(svc.client.Refresh({ refreshToken: second.refreshToken }))).kind).toBe(
      "UNAUTHENTICATED",
    );
  });
});
