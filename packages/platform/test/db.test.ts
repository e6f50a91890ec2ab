import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSql, databaseKey, type Sql, transactionOf } from "../src/db.js";

const server = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const table = `platform_db_test_${process.pid}_${Date.now()}`;
let sql: Sql;

beforeAll(async () => {
  sql = createSql(`${server}/postgres`, { max: 2 });
  await sql`create table ${sql(table)} (n int)`;
});
afterAll(async () => {
  await sql`drop table if exists ${sql(table)}`;
  await sql.end({ timeout: 5 });
});

describe("transactions from createSql", () => {
  it("when a transaction commits, then its after-commit hooks run once the row is visible, in order", async () => {
    const seen: string[] = [];
    const result = await sql.begin(async (tx) => {
      await tx`insert into ${tx(table)} values (1)`;
      const info = transactionOf(tx)!;
      info.afterCommit(() => seen.push("first"));
      info.afterCommit(() => seen.push("second"));
      expect(seen).toEqual([]);
      return "done";
    });
    expect(result).toBe("done");
    expect(seen).toEqual(["first", "second"]);
    const [row] = await sql`select count(*)::int as n from ${sql(table)} where n = 1`;
    expect(row?.n).toBe(1);
  });

  it("when a transaction rolls back, then its hooks never run and the error reaches the caller", async () => {
    let ran = false;
    const failed = sql.begin(async (tx) => {
      await tx`insert into ${tx(table)} values (2)`;
      transactionOf(tx)!.afterCommit(() => {
        ran = true;
      });
      throw new Error("rule broken");
    });
    await expect(failed).rejects.toThrow("rule broken");
    expect(ran).toBe(false);
    const [row] = await sql`select count(*)::int as n from ${sql(table)} where n = 2`;
    expect(row?.n).toBe(0);
  });

  it("when a hook throws, then the committed transaction still resolves with its result", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const result = await sql.begin(async (tx) => {
        transactionOf(tx)!.afterCommit(() => {
          throw new Error("hook failed");
        });
        return 7;
      });
      expect(result).toBe(7);
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => w.message)).toContain("hook failed");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("when the handle is a pool, a savepoint or another pool's transaction, then it names no transaction of ours", async () => {
    expect(transactionOf(sql)).toBeUndefined();
    await sql.begin(async (tx) => {
      expect(transactionOf(tx)?.database).toBe(databaseKey(sql));
      await tx.savepoint(async (sp) => {
        expect(transactionOf(sp)).toBeUndefined();
      });
    });
  });

  it("when two pools reach one database, then they have one key; another database has another", () => {
    const same = createSql(`${server}/postgres`);
    const other = createSql(`${server}/template1`);
    expect(databaseKey(same)).toBe(databaseKey(sql));
    expect(databaseKey(other)).not.toBe(databaseKey(sql));
  });
});

const socketDir = "/var/run/postgresql";
describe("a Unix socket in the URL", () => {
  it("when the URL names a socket directory in host=, then the pool connects through it", async () => {
    // The socket is where the machine's PostgreSQL puts it; a server elsewhere has none here.
    expect(existsSync(`${socketDir}/.s.PGSQL.5432`) || process.env.TEST_PG_URL !== undefined).toBe(true);
    if (!existsSync(`${socketDir}/.s.PGSQL.5432`)) return;
    const viaSocket = createSql(`postgres://postgres@localhost/postgres?host=${socketDir}&sslmode=disable`, {
      max: 1,
    });
    try {
      // A Unix-socket session has no client address.
      const [row] = await viaSocket`select inet_client_addr() as addr, current_database() as db`;
      expect(row?.addr).toBeNull();
      expect(row?.db).toBe("postgres");
      expect(databaseKey(viaSocket)).toContain(socketDir);
    } finally {
      await viaSocket.end({ timeout: 5 });
    }
  });
});
