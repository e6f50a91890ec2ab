import postgres from "postgres";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;
/** A client or an open transaction: repositories accept either. */
export type Queryable = postgres.Sql | postgres.TransactionSql;

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
 * The transaction `tx` belongs to, when `tx` is the handle that `begin` passed to its callback on
 * a pool made by `createSql`; undefined for a plain pool, a reserved connection or a savepoint.
 */
export function transactionOf(tx: Queryable): TransactionInfo | undefined {
  return transactions.get(tx);
}

/** One string per database server and name: pools to the same database have the same key. */
export function databaseKey(sql: Sql): string {
  const o = sql.options;
  const where = o.path || o.host.map((h, i) => `${h}:${o.port[i] ?? o.port[0]}`).join(",");
  return `${where}/${o.database}`;
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
    const hooks: (() => void)[] = [];
    const info: TransactionInfo = { database, afterCommit: (hook) => hooks.push(hook) };
    return begin(...args, (tx: TransactionSql) => {
      transactions.set(tx, info);
      return fn(tx);
    }).then((result) => {
      for (const hook of hooks) {
        try {
          hook();
        } catch (err) {
          process.emitWarning(err as Error);
        }
      }
      return result;
    });
  }) as Sql["begin"];
}

export async function pingDb(sql: Sql): Promise<void> {
  await sql`select 1`;
}
