import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { benchSocketDir, createTestDatabase, throughSocket } from "@shop/testkit";
import postgres from "postgres";
import { runProcess } from "../process.js";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
export const PGBENCH_SCRIPT = fileURLToPath(new URL("../../sql/saga.pgbench.sql", import.meta.url));
/** Transactions one run of the script makes (one per BEGIN/COMMIT, plus the autocommit mark-sent). */
export const TRANSACTIONS_PER_SAGA = 13;
const SCHEMAS = ["product", "payment", "notification"] as const;

export type PgbenchResult =
  | { skipped: string }
  | {
      command: string;
      clients: number;
      threads: number;
      seconds: number;
      sagas: number;
      sagasPerSecond: number;
      transactionsPerSecond: number;
      latencyAverageMs: number;
      failedSagas: number;
      /** Rows the run left, checked against the saga count: proof the script did the saga's work. */
      check: { paidOrders: number; soldUnits: number; payments: number; sentNotifications: number };
    };

function migrationUpSql(service: string): string {
  const dir = `${REPO_ROOT}db/${service}/migrations`;
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => {
      const text = readFileSync(`${dir}/${f}`, "utf8");
      const up = text.split("-- migrate:up")[1] ?? "";
      return up.split("-- migrate:down")[0];
    })
    .join("\n");
}

/** True when pgbench runs; the bench reports the ceiling as skipped otherwise. */
export async function pgbenchAvailable(): Promise<boolean> {
  try {
    return (await runProcess("pgbench", ["--version"])).code === 0;
  } catch {
    return false;
  }
}

/**
 * The database ceiling: the saga's own inserts and updates (sql/saga.pgbench.sql) replayed by
 * pgbench on a scratch copy of the order database (createTestDatabase) that also holds the
 * product, payment and notification tables, each in a schema of its own built from its migrations.
 */
export async function runPgbenchCeiling(opts: {
  clients: number;
  threads: number;
  seconds: number;
  products: number;
  users: number;
  /** Another script than sql/saga.pgbench.sql (e.g. a variant written by the harness). */
  script?: string;
}): Promise<PgbenchResult> {
  if (!(await pgbenchAvailable())) {
    return {
      skipped: "pgbench not found: install it with `apt-get install -y postgresql-contrib`",
    };
  }
  const db = await createTestDatabase("order");
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    for (const schema of SCHEMAS) {
      await sql`create schema ${sql(schema)}`;
      const res = await runProcess("psql", [db.url, "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"], {
        env: { PGOPTIONS: `-c search_path=${schema}` },
        input: migrationUpSql(schema),
      });
      if (res.code !== 0) throw new Error(`migrating schema ${schema}: ${res.stderr}`);
    }
    await sql`
      insert into product.products (id, sku, name, price_cents, stock)
      select md5('p' || i)::uuid, 'bench-' || i, 'Bench product ' || i, 1000, 2000000000
      from generate_series(1, ${opts.products}) i
    `;
    await sql`
      insert into notification.recipients (user_id, email)
      select 'user-' || i, 'user-' || i || '@shop.test' from generate_series(1, ${opts.users}) i
    `;
    const args = [
      "-n",
      "-f",
      opts.script ?? PGBENCH_SCRIPT,
      "-c",
      String(opts.clients),
      "-j",
      String(opts.threads),
      "-T",
      String(opts.seconds),
      "-D",
      `products=${opts.products}`,
      "-D",
      `users=${opts.users}`,
    ];
    // The same transport as the services' pools (benchSocketDir).
    const run = await runProcess("pgbench", [...args, throughSocket(db.url, benchSocketDir())]);
    if (run.code !== 0) throw new Error(`pgbench failed (${run.code}): ${run.stderr.slice(-2000)}`);
    const num = (re: RegExp) => Number(re.exec(run.stdout)?.[1] ?? Number.NaN);
    const sagas = num(/number of transactions actually processed: (\d+)/);
    const tps = num(/tps = ([\d.]+) \(without initial connection time\)/);
    const [check] = await sql<
      { paidOrders: number; soldUnits: number; payments: number; sentNotifications: number }[]
    >`
      select
        (select count(*)::int from orders where status = 'PAID') as "paidOrders",
        (select coalesce(sum(sold), 0)::int from product.products) as "soldUnits",
        (select count(*)::int from payment.payments) as payments,
        (select count(*)::int from notification.notifications where status = 'SENT') as "sentNotifications"
    `;
    return {
      command: `pgbench ${args.join(" ")} <scratch db>`,
      clients: opts.clients,
      threads: opts.threads,
      seconds: opts.seconds,
      sagas,
      sagasPerSecond: tps,
      transactionsPerSecond: tps * TRANSACTIONS_PER_SAGA,
      latencyAverageMs: num(/latency average = ([\d.]+) ms/),
      failedSagas: num(/number of failed transactions: (\d+)/) || 0,
      check: check!,
    };
  } finally {
    await sql.end({ timeout: 5 });
    await db.drop();
  }
}
