import { uid } from "@shop/testkit";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin } from "../src/domain/bootstrap-admin.js";
import { type AuthService, failure, startAuthService } from "./harness.js";

let svc: AuthService;
beforeAll(async () => {
  svc = await startAuthService();
});
afterAll(() => svc.stop());

describe("admin bootstrap", () => {
  it("when ADMIN_EMAIL has no account, then an admin is created with ADMIN_PASSWORD and one UserRegistered", async () => {
    const email = `Admin-${uid()}@Example.com`;
    const result = await bootstrapAdmin(svc.auth, { email, password: "admin password" });
    expect(result.outcome).toBe("created");

    const pair = await svc.client.Login({ email, password: "admin password" });
    expect(decodeJwt(pair.accessToken).role).toBe("admin");
    const me = await svc.client.GetMe({}, { authorization: `Bearer ${pair.accessToken}` });
    expect(me).toMatchObject({ email: email.toLowerCase(), role: "admin", emailVerified: true });

    const events = await svc.outboxOf(result.userId);
    expect(events.map((e) => e.eventType)).toEqual(["UserRegistered"]);
    expect(events[0]!.payload.payload).toEqual({
      userId: result.userId,
      email: email.toLowerCase(),
      role: "admin",
    });
  });

  it("when the bootstrap runs again, then nothing changes and no event is emitted", async () => {
    const email = `admin-${uid()}@example.com`;
    const first = await bootstrapAdmin(svc.auth, { email, password: "admin password" });
    const again = await bootstrapAdmin(svc.auth, { email, password: "admin password" });
    expect(again).toEqual({ userId: first.userId, outcome: "unchanged" });
    expect(await svc.outboxOf(first.userId)).toHaveLength(1);
  });

  it("when ADMIN_EMAIL belongs to a customer, then it is promoted with ADMIN_PASSWORD and a verified email, and no new event is emitted", async () => {
    const { email, user } = await svc.newUser();
    const result = await bootstrapAdmin(svc.auth, { email, password: "operator password" });
    expect(result).toEqual({ userId: user.id, outcome: "promoted" });
    const pair = await svc.client.Login({ email, password: "operator password" });
    expect(decodeJwt(pair.accessToken)).toMatchObject({ role: "admin", email_verified: true });
    expect((await svc.outboxOf(user.id)).map((e) => e.eventType)).toEqual(["UserRegistered"]);
  });

  it("when an attacker registered ADMIN_EMAIL first, then after the bootstrap only the operator's password works and the attacker's login and tokens are dead", async () => {
    const email = `admin-${uid()}@example.com`;
    const attacker = { email, password: "attacker's own password" };
    const registered = await svc.client.Register(attacker);
    const attackerLogin = await svc.client.Login(attacker);
    await svc.client.ForgotPassword({ email });

    const result = await bootstrapAdmin(svc.auth, { email, password: "operator password" });
    expect(result).toEqual({ userId: registered.id, outcome: "promoted" });

    expect((await failure(svc.client.Login(attacker))).kind).toBe("UNAUTHENTICATED");
    expect((await failure(svc.client.Refresh({ refreshToken: attackerLogin.refreshToken }))).kind).toBe(
      "UNAUTHENTICATED",
    );
    // The verification and reset tokens mailed before the promotion can no longer be used.
    const live = await svc.sql`
      select 1 from one_time_tokens where user_id = ${registered.id} and used_at is null
    `;
    expect(live).toHaveLength(0);
    const operator = await svc.client.Login({ email, password: "operator password" });
    expect(decodeJwt(operator.accessToken).role).toBe("admin");
  });

  it("when two instances bootstrap the same admin at once, then one account exists and one event", async () => {
    const email = `admin-${uid()}@example.com`;
    const results = await Promise.all([
      bootstrapAdmin(svc.auth, { email, password: "admin password" }),
      bootstrapAdmin(svc.auth, { email, password: "admin password" }),
    ]);
    expect(new Set(results.map((r) => r.userId)).size).toBe(1);
    // The loser either promotes the just-created row or finds it already admin.
    expect(results.filter((r) => r.outcome === "created")).toHaveLength(1);
    expect(await svc.outboxOf(results[0]!.userId)).toHaveLength(1);
  });
});
