import { uid } from "@shop/testkit";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootstrapAdmin } from "../src/domain/bootstrap-admin.js";
import { type AuthService, startAuthService } from "./harness.js";

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

  it("when ADMIN_EMAIL belongs to a customer, then it is promoted, keeps its password, and no new event is emitted", async () => {
    const { email, password, user } = await svc.newUser();
    const result = await bootstrapAdmin(svc.auth, { email, password: "ignored password" });
    expect(result).toEqual({ userId: user.id, outcome: "promoted" });
    const pair = await svc.client.Login({ email, password });
    expect(decodeJwt(pair.accessToken).role).toBe("admin");
    expect((await svc.outboxOf(user.id)).map((e) => e.eventType)).toEqual(["UserRegistered"]);
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
