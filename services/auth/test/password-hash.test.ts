import { uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAuthConfig } from "../src/config.js";
import { createPasswordHasher } from "../src/domain/password-hash.js";
import { type AuthService, failure, startAuthService } from "./harness.js";

let svc: AuthService;
beforeAll(async () => {
  // Costly enough (tens of ms a hash) that skipping the dummy verification would show in timings.
  svc = await startAuthService({ PASSWORD_HASH_COST_LOG2: "14" });
});
afterAll(() => svc.stop());

describe("password hashing", () => {
  it("when the default cost is used, then the hash is a PHC string with ln=17,r=8,p=1 that verifies, without blocking the event loop", async () => {
    const hasher = createPasswordHasher({
      costLog2: loadAuthConfig({ ALLOW_PLAINTEXT_KEYS: "true" }).passwordHashCostLog2,
    });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const hash = await hasher.hash("correct horse battery");
    clearInterval(timer);
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    // The hash ran on the thread pool: timers kept firing meanwhile.
    expect(ticks).toBeGreaterThan(3);
    expect(await hasher.verify("correct horse battery", hash)).toBe(true);
    expect(await hasher.verify("correct horse batterY", hash)).toBe(false);
  });

  it("when the same password is hashed twice, then the salts differ", async () => {
    const hasher = createPasswordHasher({ costLog2: 10 });
    expect(await hasher.hash("same password")).not.toBe(await hasher.hash("same password"));
  });

  it("when a stored hash is malformed, then it does not verify (and does not throw)", async () => {
    const hasher = createPasswordHasher({ costLog2: 10 });
    for (const bad of [
      "",
      "plain",
      "$scrypt$ln=40,r=8,p=1$AAAA$AAAA",
      "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA",
    ]) {
      expect(await hasher.verify("password", bad)).toBe(false);
    }
  });

  it("when a user's hash was made with an older cost, then login still works and upgrades the hash", async () => {
    const email = `old-${uid()}@example.com`;
    const oldHash = await createPasswordHasher({ costLog2: 10 }).hash("an old password");
    await svc.sql`insert into users (email, password_hash) values (${email}, ${oldHash})`;
    await svc.client.Login({ email, password: "an old password" });
    const [row] = await svc.sql<{ h: string }[]>`select password_hash as h from users where email = ${email}`;
    expect(row!.h).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$/);
    await svc.client.Login({ email, password: "an old password" });
  });

  it("when the email is unknown, then the login takes about as long as with a wrong password", async () => {
    const { email } = await svc.newUser();
    const time = async (mail: string) => {
      const started = performance.now();
      await failure(svc.client.Login({ email: mail, password: "wrong password" }));
      return performance.now() - started;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const wrong: number[] = [];
    const unknown: number[] = [];
    // Five wrong passwords stay under the default lockout streak of 10.
    for (let i = 0; i < 5; i++) {
      wrong.push(await time(email));
      unknown.push(await time(`ghost-${uid()}@example.com`));
    }
    // Without the dummy verification an unknown email answers in a few ms; the machine is noisy,
    // so the bound is loose.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.4);
  });
});
