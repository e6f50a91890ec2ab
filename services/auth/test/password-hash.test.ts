import { argon2Sync, randomBytes, scryptSync } from "node:crypto";
import { uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAuthConfig } from "../src/config.js";
import { createPasswordHasher } from "../src/domain/password-hash.js";
import { type AuthService, failure, startAuthService } from "./harness.js";

/** The gateway's default deadline for login (PASSWORD_CALL_TIMEOUT_MS). */
const GATEWAY_PASSWORD_DEADLINE_MS = 10_000;

let svc: AuthService;
beforeAll(async () => {
  // The production parameters (OWASP's argon2id), not the cheap ones of the other test files.
  svc = await startAuthService({ PASSWORD_HASH_MEMORY_KIB: "19456", PASSWORD_HASH_PASSES: "2" });
});
afterAll(() => svc.stop());

const cheap = () => createPasswordHasher({ memory: 1024, passes: 1, parallelism: 1 });

/** A hash as the service stored them before argon2id: scrypt, `$scrypt$ln=..,r=8,p=1$salt$hash`. */
function legacyScryptHash(password: string, ln = 10): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize("NFC"), salt, 32, { N: 2 ** ln, r: 8, p: 1 });
  const b64 = (b: Buffer) => b.toString("base64").replace(/=+$/, "");
  return `$scrypt$ln=${ln},r=8,p=1$${b64(salt)}$${b64(key)}`;
}

async function storedHashOf(email: string): Promise<string> {
  const [row] = await svc.sql<{ h: string }[]>`select password_hash as h from users where email = ${email}`;
  return row!.h;
}

describe("password hashing", () => {
  it("when the defaults are used, then the hash is an argon2id PHC string with OWASP's parameters that verifies, without blocking the event loop", async () => {
    const config = loadAuthConfig({ ALLOW_PLAINTEXT_KEYS: "true" });
    const hasher = createPasswordHasher({
      memory: config.passwordHashMemoryKib,
      passes: config.passwordHashPasses,
      parallelism: 1,
    });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const hash = await hasher.hash("correct horse battery");
    clearInterval(timer);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    // The hash ran on the thread pool: timers kept firing meanwhile.
    expect(ticks).toBeGreaterThan(3);
    expect(await hasher.verify("correct horse battery", hash)).toBe(true);
    expect(await hasher.verify("correct horse batterY", hash)).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it("when a hash is made, then its salt and tag are what a plain argon2id computation gives (16-byte salt, 32-byte tag)", async () => {
    const hash = await cheap().hash("pässword");
    const [, , , , salt, tag] = hash.split("$");
    const nonce = Buffer.from(salt!, "base64");
    expect(nonce).toHaveLength(16);
    const expected = argon2Sync("argon2id", {
      message: "pässword".normalize("NFC"),
      nonce,
      parallelism: 1,
      tagLength: 32,
      memory: 1024,
      passes: 1,
    });
    expect(Buffer.from(tag!, "base64")).toEqual(expected);
  });

  it("when the same password is hashed twice, then the salts differ", async () => {
    const hasher = cheap();
    expect(await hasher.hash("same password")).not.toBe(await hasher.hash("same password"));
  });

  it("when a stored hash is malformed or asks for absurd costs, then it does not verify (and does not throw)", async () => {
    const hasher = cheap();
    const good = await hasher.hash("password");
    for (const bad of [
      "",
      "plain",
      "$scrypt$ln=40,r=8,p=1$AAAA$AAAA",
      "$argon2id$v=19$m=1,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA",
      "$argon2id$v=19$m=4194304,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      good.replace("v=19", "v=16"),
      good.replace("$argon2id$", "$argon2i$"),
      good.slice(0, -8),
    ]) {
      expect(await hasher.verify("password", bad)).toBe(false);
    }
  });

  it("when a user's hash is an old scrypt one, then login still works and replaces it with argon2id", async () => {
    const email = `old-${uid()}@example.com`;
    const oldHash = legacyScryptHash("an old password");
    expect(await cheap().verify("an old password", oldHash)).toBe(true);
    await svc.sql`insert into users (email, password_hash) values (${email}, ${oldHash})`;

    await svc.client.Login({ email, password: "an old password" });
    expect(await storedHashOf(email)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await svc.client.Login({ email, password: "an old password" });
    expect((await failure(svc.client.Login({ email, password: "not the password" }))).kind).toBe(
      "UNAUTHENTICATED",
    );
  });

  it("when a user's argon2id hash has weaker parameters, then login upgrades it to the current ones", async () => {
    const email = `weak-${uid()}@example.com`;
    await svc.sql`insert into users (email, password_hash) values (${email}, ${await cheap().hash("weak hash pw")})`;
    await svc.client.Login({ email, password: "weak hash pw" });
    expect(await storedHashOf(email)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it("when 20 users log in at once, then every login succeeds within the gateway's deadline for password calls", async () => {
    const users = await Promise.all(Array.from({ length: 20 }, () => svc.newUser()));
    const pairs = await Promise.all(
      users.map(({ email, password }) =>
        svc.client.Login({ email, password }, { deadlineMs: GATEWAY_PASSWORD_DEADLINE_MS }),
      ),
    );
    expect(pairs.map((p) => p.tokenType)).toEqual(Array(20).fill("Bearer"));
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
