import type { Queryable, Sql } from "@shop/platform";

export interface IdempotencyRecord {
  requestHash: string;
  orderId: number;
}

/** How long a key binds its first order (the HTTP contract says 24 hours). */
const KEY_TTL = "24 hours";

/** Idempotency keys of CreateOrder, per user. */
export function createIdempotencyRepository(sql: Sql) {
  return {
    /** The live (unexpired) record of a key, if any. */
    async find(userId: string, key: string, q: Queryable = sql): Promise<IdempotencyRecord | undefined> {
      const [row] = await q<{ request_hash: string; order_id: number }[]>`
        select request_hash, order_id from idempotency_keys
        where user_id = ${userId} and key = ${key}
          and created_at > now() - ${KEY_TTL}::interval
      `;
      return row ? { requestHash: row.request_hash, orderId: row.order_id } : undefined;
    },

    /**
     * Binds the key to `orderId`, or takes over an expired binding. Returns false when a live
     * binding exists: a concurrent request holding the same key won. The insert waits for that
     * request's transaction, so the winner is readable as soon as this returns.
     */
    async claim(
      claim: { userId: string; key: string; requestHash: string; orderId: number },
      q: Queryable = sql,
    ): Promise<boolean> {
      const rows = await q`
        insert into idempotency_keys (user_id, key, request_hash, order_id)
        values (${claim.userId}, ${claim.key}, ${claim.requestHash}, ${claim.orderId})
        on conflict (user_id, key) do update
          set request_hash = excluded.request_hash, order_id = excluded.order_id, created_at = now()
          where idempotency_keys.created_at <= now() - ${KEY_TTL}::interval
        returning order_id
      `;
      return rows.length === 1;
    },
  };
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;
