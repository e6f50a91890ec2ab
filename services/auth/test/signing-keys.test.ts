import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createSql, type Sql } from "@shop/platform";
import { createTestDatabase, eventually, type TestDatabase } from "@shop/testkit";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signAccessToken } from "../src/domain/access-token.js";
import { rotateKeys } from "../src/domain/rotate-keys.js";
import { authContextFor } from "./harness.js";

const run = promisify(execFile);
const SERVICE_DIR = fileURLToPath(new URL("..", import.meta.url));
const SECRET = "0123456789abcdef0123456789abcdef-test-only";

// Each test gets a database of its own: these tests are about what is (not) in signing_keys.
const dbs: TestDatabase[] = [];
const sqls: Sql[] = [];
async function freshDb() {
  const db = await createTestDatabase("auth");
  const sql = createSql(db.url, { max: 2 });
  dbs.push(db);
  sqls.push(sql);
  return { db, sql };
}
beforeAll(() => {});
afterAll(async () => {
  for (const sql of sqls) await sql.end({ timeout: 5 });
  for (const db of dbs) await db.drop();
});

const keyRows = (sql: Sql) =>
  sql<{ kid: string; privateKey: string; retireAt: Date | null }[]>`
    select kid, private_key as "privateKey", retire_at as "retireAt" from signing_keys order by created_at
  `;

describe("signing keys", () => {
  it("when several instances start on an empty database at once, then exactly one key is generated", async () => {
    const { sql } = await freshDb();
    const instances = [1, 2, 3].map(() => authContextFor(sql).auth);
    await Promise.all(instances.map((a) => a.keys.ensureKey()));
    const rows = await keyRows(sql);
    expect(rows).toHaveLength(1);
    for (const a of instances) expect((await a.keys.current()).signing.kid).toBe(rows[0]!.kid);
  });

  it("when KEY_ENCRYPTION_SECRET is set, then the private key is stored encrypted and another secret cannot load it", async () => {
    const { sql } = await freshDb();
    const { auth } = authContextFor(sql, { KEY_ENCRYPTION_SECRET: SECRET });
    await auth.keys.ensureKey();
    const [row] = await keyRows(sql);
    expect(row!.privateKey).toMatch(/^aes-256-gcm:v1:/);
    expect(row!.privateKey).not.toMatch(/PRIVATE KEY/);
    await signAccessToken(auth.keys, { id: "u1", role: "customer" }, 60);

    const wrong = authContextFor(sql, { KEY_ENCRYPTION_SECRET: `${SECRET}-other` }).auth;
    await expect(wrong.keys.ensureKey()).rejects.toThrow(/does not decrypt/);
    const none = authContextFor(sql).auth;
    await expect(none.keys.ensureKey()).rejects.toThrow(/KEY_ENCRYPTION_SECRET is not set/);
  });

  it("when no KEY_ENCRYPTION_SECRET is set, then the key is stored as plain PKCS#8 (documented)", async () => {
    const { sql } = await freshDb();
    await authContextFor(sql).auth.keys.ensureKey();
    const [row] = await keyRows(sql);
    expect(row!.privateKey).toMatch(/^plain:-----BEGIN PRIVATE KEY-----/);
  });

  it("when keys rotate twice, then one key is active, the previous retire after the longest token lifetime, and expired ones are deleted", async () => {
    const { sql } = await freshDb();
    const { auth } = authContextFor(sql);
    await auth.keys.ensureKey();
    const first = await rotateKeys({ sql, repo: auth.signingKeys, cipher: auth.cipher });
    let rows = await keyRows(sql);
    expect(rows.filter((r) => r.retireAt === null).map((r) => r.kid)).toEqual([first.kid]);
    const retiring = rows.find((r) => r.retireAt !== null)!;
    const minutes = (retiring.retireAt!.getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(15);
    expect(minutes).toBeLessThanOrEqual(20);

    await sql`update signing_keys set retire_at = now() - interval '1 second' where kid = ${retiring.kid}`;
    const second = await rotateKeys({ sql, repo: auth.signingKeys, cipher: auth.cipher });
    expect(second.deleted).toEqual([retiring.kid]);
    expect(second.retiring).toEqual([first.kid]);
    rows = await keyRows(sql);
    expect(rows.map((r) => r.kid)).toEqual([first.kid, second.kid]);
  });

  it("when the rotate-keys command runs, then a running instance signs with the new key within its refresh interval", async () => {
    const { db, sql } = await freshDb();
    const { auth } = authContextFor(sql, { SIGNING_KEY_REFRESH_SECONDS: "1", KEY_ENCRYPTION_SECRET: SECRET });
    await auth.keys.ensureKey();
    const before = (await auth.keys.current()).signing.kid;

    const { stdout } = await run("node", ["dist/entry-points/cli/rotate-keys.js"], {
      cwd: SERVICE_DIR,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: db.url,
        KEY_ENCRYPTION_SECRET: SECRET,
        LOG_LEVEL: "silent",
      },
    });
    const result = JSON.parse(stdout) as { kid: string; retiring: string[]; encrypted: boolean };
    expect(result).toMatchObject({ retiring: [before], encrypted: true });

    await eventually(async () => {
      const token = await signAccessToken(auth.keys, { id: "u1", role: "customer" }, 60);
      return decodeProtectedHeader(token).kid === result.kid ? true : undefined;
    });
  });
});
