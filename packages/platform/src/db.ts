import postgres from "postgres";

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;
/** A client or an open transaction: repositories accept either. */
export type Queryable = postgres.Sql | postgres.TransactionSql;

export function createSql(url: string, opts: { max?: number; applicationName?: string } = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: opts.applicationName ?? "shop" },
    // bigint columns come back as JS numbers: ids and money stay far below 2^53.
    types: {
      bigint: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) },
    },
  });
}

export async function pingDb(sql: Sql): Promise<void> {
  await sql`select 1`;
}
