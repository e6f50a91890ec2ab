import { createHash } from "node:crypto";
import { uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { register } from "../src/domain/register.js";
import { type AuthService, failure, openSealedToken, startAuthService } from "./harness.js";

let svc: AuthService;
beforeAll(async () => {
  svc = await startAuthService();
});
afterAll(() => svc.stop());

const sha256 = (s: string) => createHash("sha256").update(s).digest();

describe("register", () => {
  it("when a user registers, then the account comes back with the email in lower case and role customer", async () => {
    const local = `Mixed.${uid()}`;
    const user = await svc.client.Register({ email: `  ${local}@Example.COM `, password: "correct horse" });
    expect(user).toMatchObject({
      email: `${local.toLowerCase()}@example.com`,
      role: "customer",
      emailVerified: false,
    });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(user.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("when a user registers, then only an argon2id PHC string of the password is stored", async () => {
    const { user, password } = await svc.newUser();
    const [row] = await svc.sql<{ passwordHash: string }[]>`
      select password_hash as "passwordHash" from users where id = ${user.id}
    `;
    expect(row!.passwordHash).toMatch(
      /^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
    );
    expect(row!.passwordHash).not.toContain(password);
  });

  it("when a user registers, then one UserRegistered outbox row commits carrying a sealed verification token", async () => {
    const { user, email } = await svc.newUser();
    const rows = await svc.outboxOf(user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.eventType).toBe("UserRegistered");
    expect(rows[0]!.topic).toMatch(/shop\.users\.v1$/);
    const payload = rows[0]!.payload.payload;
    expect(payload).toMatchObject({ userId: user.id, email, role: "customer" });
    expect(Object.keys(payload).sort()).toEqual(["email", "role", "tokenJwe", "userId"]);
    const token = await openSealedToken(payload, "verify_email");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Only ciphertext rests in the outbox: the token appears nowhere in the stored event.
    expect(JSON.stringify(rows[0]!.payload)).not.toContain(token);
    // The database keeps only the token's digest.
    const [stored] = await svc.sql<{ n: number }[]>`
      select count(*)::int as n from one_time_tokens
      where token_hash = ${sha256(token)} and purpose = 'verify_email'
    `;
    expect(stored!.n).toBe(1);
  });

  it("when the email is already registered in any letter case, then CONFLICT and no second outbox row", async () => {
    const { user, email } = await svc.newUser();
    const err = await failure(
      svc.client.Register({ email: email.toUpperCase(), password: "another password" }),
    );
    expect(err).toMatchObject({ kind: "CONFLICT", code: "EMAIL_TAKEN" });
    const [count] = await svc.sql<{ n: number }[]>`
      select count(*)::int as n from outbox where payload -> 'payload' ->> 'email' = ${email}
    `;
    expect(count!.n).toBe(1);
    expect(await svc.outboxOf(user.id)).toHaveLength(1);
  });

  it.each([
    ["a malformed email", "not-an-email", "long enough password"],
    ["an email without a domain dot", "someone@localhost", "long enough password"],
    ["an empty email", "", "long enough password"],
    ["a 7-character password", "valid@example.com", "1234567"],
    ["a 129-character password", "valid@example.com", "x".repeat(129)],
  ])(
    "when registering with %s, then INVALID_ARGUMENT and nothing is written",
    async (_case, email, password) => {
      const marked = email.replace("valid@", `valid-${uid()}@`);
      const err = await failure(svc.client.Register({ email: marked, password }));
      expect(err.kind).toBe("INVALID_ARGUMENT");
      const [count] = await svc.sql<{ n: number }[]>`
      select (select count(*) from users where email = ${marked.toLowerCase()})
        + (select count(*) from outbox where payload -> 'payload' ->> 'email' = ${marked.toLowerCase()}) as n
    `;
      expect(Number(count!.n)).toBe(0);
    },
  );

  it("when the password has 8 and 128 characters, then both are accepted", async () => {
    await svc.client.Register({ email: `min-${uid()}@example.com`, password: "12345678" });
    await svc.client.Register({ email: `max-${uid()}@example.com`, password: "y".repeat(128) });
  });

  it("when two registrations of one email race, then exactly one succeeds and the other is CONFLICT", async () => {
    const email = `race-${uid()}@example.com`;
    const results = await Promise.allSettled([
      svc.client.Register({ email, password: "first password" }),
      svc.client.Register({ email, password: "second password" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ kind: "CONFLICT" });
  });

  it("when writing the event fails, then the registration rolls back and the account does not exist", async () => {
    const email = `rollback-${uid()}@example.com`;
    const broken = {
      ...svc.auth,
      outbox: {
        enqueue: async () => {
          throw new Error("outbox unavailable");
        },
      },
    };
    await expect(register(broken, { email, password: "long enough password" })).rejects.toThrow(
      "outbox unavailable",
    );
    const rows = await svc.sql`select 1 from users where email = ${email}`;
    expect(rows).toHaveLength(0);
    // The account can still be created afterwards: nothing half-written blocks it.
    const user = await svc.client.Register({ email, password: "long enough password" });
    expect(user.email).toBe(email);
  });
});
