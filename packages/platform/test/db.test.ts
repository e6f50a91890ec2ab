import { existsSync } from "node:fs";
import { createServer, connect as netConnect, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSql, databaseKey, pipelinedTransaction, type Sql, transactionOf } from "../src/db.js";

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

/**
 * A TCP proxy in front of PostgreSQL that counts what the client writes: postgres.js writes each
 * batch of statements at once, then waits for their answers, so the count is the round trips.
 */
async function countingProxy(): Promise<{ url: string; writes: () => number; close: () => Promise<void> }> {
  const target = new URL(server);
  let writes = 0;
  const proxy: Server = createServer((client) => {
    const upstream = netConnect(Number(target.port || 5432), target.hostname);
    client.on("data", (chunk) => {
      writes++;
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as { port: number };
  return {
    url: `postgres://${target.username || "postgres"}@127.0.0.1:${port}`,
    writes: () => writes,
    close: () => new Promise((resolve) => proxy.close(() => resolve())),
  };
}

describe("pipelinedTransaction", () => {
  it("when a transaction claims and then marks, then it costs two round trips, not four, and its statements share one transaction", async () => {
    const proxy = await countingProxy();
    const viaProxy = createSql(`${proxy.url}/postgres`, { max: 1 });
    const round = () =>
      pipelinedTransaction(viaProxy, async ({ tx, commit }) => {
        const [first] = await tx`select txid_current()::text as id from ${tx(table)} limit 1`;
        const last = tx`insert into ${tx(table)} values (${40}), ((txid_current() % 1000000 + 1000000)::int)`;
        await commit(last);
        return first;
      });
    try {
      await sql`insert into ${sql(table)} values (0)`;
      await round(); // connects, and PostgreSQL learns each statement's parameter types
      const before = proxy.writes();
      const first = await round();
      expect(proxy.writes() - before).toBe(2);
      const [row] = await sql`
        select count(*)::int as n from ${sql(table)} where n = ${(Number(first!.id) % 1_000_000) + 1_000_000}
      `;
      expect(row?.n).toBe(1);
    } finally {
      await viaProxy.end({ timeout: 5 });
      await proxy.close();
    }
  });

  it("when a statement sent with COMMIT fails, then nothing of the transaction is kept and the error is thrown", async () => {
    const failed = pipelinedTransaction(sql, async ({ tx, commit }) => {
      await tx`insert into ${tx(table)} values (${41})`;
      await commit(tx`insert into ${tx(table)} values (${42})`, tx`select 1 / 0`);
    });
    await expect(failed).rejects.toThrow("division by zero");
    const [row] = await sql`select count(*)::int as n from ${sql(table)} where n in (41, 42)`;
    expect(row?.n).toBe(0);
  });

  it("when it commits, then its after-commit hooks run; when a statement sent with COMMIT fails, they never run", async () => {
    const seen: string[] = [];
    await pipelinedTransaction(sql, async ({ tx, commit }) => {
      transactionOf(tx)!.afterCommit(() => seen.push("committed"));
      expect(transactionOf(tx)?.database).toBe(databaseKey(sql));
      await commit(tx`insert into ${tx(table)} values (${46})`);
      expect(seen).toEqual(["committed"]);
    });
    const failed = pipelinedTransaction(sql, async ({ tx, commit }) => {
      transactionOf(tx)!.afterCommit(() => seen.push("rolled back"));
      await commit(tx`select 1 / 0`);
    });
    await expect(failed).rejects.toThrow("division by zero");
    expect(seen).toEqual(["committed"]);
  });

  it("when the callback throws, then the transaction rolls back, and without a commit call it commits", async () => {
    const one = createSql(`${server}/postgres`, { max: 1 });
    try {
      const failed = pipelinedTransaction(one, async ({ tx }) => {
        await tx`insert into ${tx(table)} values (${43})`;
        throw new Error("rule broken");
      });
      await expect(failed).rejects.toThrow("rule broken");
      await pipelinedTransaction(one, async ({ tx }) => {
        await tx`insert into ${tx(table)} values (${44})`;
      });
      // The connection went back to the pool outside any transaction: what it writes next is seen.
      await one`insert into ${one(table)} values (${45})`;
      const rows = await sql`select n from ${sql(table)} where n in (43, 44, 45) order by n`;
      expect(rows.map((r) => r.n)).toEqual([44, 45]);
    } finally {
      await one.end({ timeout: 5 });
    }
  });
});

/** Terminates the server process of every connection whose application_name is `app`. */
async function terminate(app: string): Promise<number> {
  const rows = await sql`
    select pg_terminate_backend(pid) from pg_stat_activity
    where application_name = ${app} and pid <> pg_backend_pid()
  `;
  return rows.length;
}

/** Resolves once a connection of `app` runs a statement that starts with `prefix`. */
async function running(app: string, prefix: string): Promise<void> {
  for (;;) {
    const [row] = await sql`
      select 1 from pg_stat_activity
      where application_name = ${app} and state = 'active' and query like ${`${prefix}%`}
    `;
    if (row) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// postgres.js 3.4.9 loses track of reserved connections the server ends (porsager/postgres#1195,
// #1199); the patch in ../patches fixes both, and these pin it down on a pool of one connection.
describe("pipelinedTransaction when the server ends its connection", () => {
  it("when the connection dies inside the transaction, then it fails, and the pool's next query runs on a new connection", async () => {
    const app = `platform-db-${process.pid}-dies`;
    const one = createSql(`${server}/postgres`, { max: 1, applicationName: app });
    try {
      const failed = pipelinedTransaction(one, async ({ tx }) => {
        await tx`insert into ${tx(table)} values (${50})`;
        await tx`select pg_sleep(30)`;
      });
      failed.catch(() => {});
      await running(app, "select pg_sleep");
      expect(await terminate(app)).toBe(1);
      await expect(failed).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
      const [row] = await one`select count(*)::int as n from ${one(table)} where n = 50`;
      expect(row!.n).toBe(0);
    } finally {
      await one.end({ timeout: 5 });
    }
  });

  it("when the connection it waits for dies, then it gets the next connection and commits", async () => {
    const app = `platform-db-${process.pid}-waits`;
    const one = createSql(`${server}/postgres`, { max: 1, applicationName: app });
    try {
      const sleeping = one`select pg_sleep(30)`.execute();
      sleeping.catch(() => {});
      await running(app, "select pg_sleep");
      const waiting = pipelinedTransaction(one, async ({ tx }) => {
        await tx`insert into ${tx(table)} values (${51})`;
      });
      expect(await terminate(app)).toBe(1);
      await expect(sleeping).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
      await waiting;
      const [row] = await one`select count(*)::int as n from ${one(table)} where n = 51`;
      expect(row!.n).toBe(1);
    } finally {
      await one.end({ timeout: 5 });
    }
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
