import type { Sql } from "@shop/platform";

export async function listParked(sql: Sql) {
  return sql`
    select id, event_id, event_type, message_key, topic, attempts, last_error, created_at, parked_at
    from outbox
    where parked_at is not null and published_at is null
    order by id
  `;
}

/** Queues parked rows for the relay again (all, or one by id); returns how many. */
export async function unpark(sql: Sql, id?: number): Promise<number> {
  const rows = await sql`
    update outbox set parked_at = null, attempts = 0
    where parked_at is not null and published_at is null
      ${id === undefined ? sql`` : sql`and id = ${id}`}
    returning id
  `;
  if (rows.length > 0) await sql`select pg_notify('outbox', '')`;
  return rows.length;
}
