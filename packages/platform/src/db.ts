import postgres from "postgres";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;
export type ReservedSql = postgres.ReservedSql;
/** A client or an open transaction: repositories accept either. */
export type Queryable = postgres.Sql | postgres.TransactionSql;
/** A handle inside a transaction: the one `sql.begin` passes, or a `pipelinedTransaction`'s. */
export type Transaction = postgres.TransactionSql | postgres.ReservedSql;

/** What `transactionOf` knows about a transaction opened with `begin` on a pool from `createSql`. */
export interface TransactionInfo {
  /** The database the transaction writes to (see `databaseKey`). */
  database: string;
  /**
   * Runs `fn` once the transaction has committed, after COMMIT returned and before the caller's
   * `await sql.begin(...)` resumes; never when it rolls back. `fn` must be quick and must not throw
   * (an exception is reported as a process warning and does not change the transaction's result).
   */
  afterCommit(fn: () => void): void;
}

const transactions = new WeakMap<object, TransactionInfo>();

/**
 * The transaction `tx` belongs to, when `tx` is the handle that `begin` or `pipelinedTransaction`
 * passed to its callback on a pool made by `createSql`; undefined for a plain pool, a reserved
 * connection of the caller's or a savepoint.
 */
export function transactionOf(tx: Queryable): TransactionInfo | undefined {
  return transactions.get(tx);
}

const databaseKeys = new WeakMap<Sql, string>();

/**
 * One string per database server and name: pools to the same database have the same key.
 * Remembered per pool: every `pipelinedTransaction` asks for it.
 */
export function databaseKey(sql: Sql): string {
  let key = databaseKeys.get(sql);
  if (key === undefined) {
    const o = sql.options;
    const where = o.path || o.host.map((h, i) => `${h}:${o.port[i] ?? o.port[0]}`).join(",");
    key = `${where}/${o.database}`;
    databaseKeys.set(sql, key);
  }
  return key;
}

/**
 * A connection pool. Besides libpq-style URLs it takes a Unix socket directory in the `host`
 * parameter (`postgres://user@localhost/db?host=/var/run/postgresql`), which postgres.js does
 * not read from the URL: on one machine it saves the loopback TCP stack on every round trip.
 */
export function createSql(
  url: string,
  opts: {
    max?: number;
    applicationName?: string;
    /** Server settings for every connection of the pool (sent at connect). */
    settings?: Record<string, string>;
  } = {},
): Sql {
  const { url: rest, socketDir } = takeSocketDir(url);
  const sql = postgres(rest, {
    ...(socketDir ? { host: socketDir } : {}),
    max: opts.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { ...opts.settings, application_name: opts.applicationName ?? "shop" },
    // bigint columns come back as JS numbers: ids and money stay far below 2^53.
    types: {
      bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) },
    },
  });
  trackTransactions(sql);
  return sql;
}

/** Splits a `host=/dir` query parameter off the URL. */
function takeSocketDir(url: string): { url: string; socketDir?: string } {
  const [base, query] = url.split("?", 2) as [string, string | undefined];
  if (query === undefined) return { url };
  const params = query.split("&");
  const at = params.findIndex((p) => p.startsWith("host="));
  if (at < 0) return { url };
  const socketDir = decodeURIComponent(params[at]!.slice("host=".length));
  params.splice(at, 1);
  return { url: params.length > 0 ? `${base}?${params.join("&")}` : base, socketDir };
}

/** Wraps `sql.begin` so that the transaction handle carries its `TransactionInfo`. */
function trackTransactions(sql: Sql): void {
  const begin = sql.begin.bind(sql) as (...args: unknown[]) => Promise<unknown>;
  const database = databaseKey(sql);
  sql.begin = ((...args: unknown[]) => {
    const fn = args.pop() as (tx: TransactionSql) => unknown;
    const { info, committed } = newTransaction(database);
    return begin(...args, (tx: TransactionSql) => {
      transactions.set(tx, info);
      return fn(tx);
    }).then((result) => {
      committed();
      return result;
    });
  }) as Sql["begin"];
}

/** A transaction's `TransactionInfo`, and what runs its after-commit hooks. */
function newTransaction(database: string): { info: TransactionInfo; committed: () => void } {
  const hooks: (() => void)[] = [];
  return {
    info: { database, afterCommit: (hook) => hooks.push(hook) },
    committed() {
      for (const hook of hooks) {
        try {
          hook();
        } catch (err) {
          process.emitWarning(err as Error);
        }
      }
    },
  };
}

/**
 * The handle `pipelinedTransaction` passes to its callback: a connection of its own inside the
 * transaction, and `commit`, which sends the statements given to it (not yet executed) and COMMIT in
 * one round trip.
 */
export interface PipelinedTransaction {
  tx: ReservedSql;
  commit(...last: postgres.PendingQuery<postgres.Row[]>[]): Promise<void>;
}

/**
 * A transaction that costs two round trips fewer than `sql.begin`: BEGIN goes out with the first
 * statement, and COMMIT with the statements passed to `commit`. PostgreSQL answers what is
 * pipelined on one connection in order; if a statement sent with COMMIT fails, the transaction is
 * aborted, PostgreSQL turns the COMMIT into a rollback, and `commit` throws that statement's error.
 * Without a call to `commit`, the transaction commits once `fn` resolves; it rolls back if `fn`
 * throws. After-commit hooks (`transactionOf`) run as for `sql.begin`; savepoints are not offered.
 * For the hot loops of short transactions: the outbox relay and the event consumers.
 */
export async function pipelinedTransaction<T>(
  sql: Sql,
  fn: (t: PipelinedTransaction) => Promise<T>,
): Promise<T> {
  const tx = await sql.reserve();
  const { info, committed } = newTransaction(databaseKey(sql));
  transactions.set(tx, info);
  let ended = false;
  const begun = tx`begin`.execute();
  // Awaited before COMMIT is sent; a failure also reaches the first statement, sent after it.
  begun.catch(() => {});
  const commit = async (...last: postgres.PendingQuery<postgres.Row[]>[]) => {
    // A statement that ran although BEGIN failed ran on its own: never commit what follows it.
    await begun;
    ended = true;
    await Promise.all([...last, tx`commit`].map((q) => q.execute()));
    committed();
  };
  try {
    const result = await fn({ tx, commit });
    if (!ended) await commit();
    return result;
  } catch (err) {
    if (!ended) await tx`rollback`.catch(() => {});
    throw err;
  } finally {
    tx.release();
  }
}

export async function pingDb(sql: Sql): Promise<void> {
  await sql`select 1`;
}
