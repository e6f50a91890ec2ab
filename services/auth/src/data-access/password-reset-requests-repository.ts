import type { Queryable, Sql } from "@shop/platform";

/** The trail of password-reset requests, known emails or not (table `password_reset_requests`). */
export function createPasswordResetRequestsRepository(sql: Sql) {
  return {
    async record(emailDigest: Buffer, tx: Queryable = sql): Promise<void> {
      await tx`insert into password_reset_requests (email_digest) values (${emailDigest})`;
    },

    /** Deletes requests older than `days`. */
    async purgeOlderThan(days: number, tx: Queryable = sql): Promise<number> {
      const rows = await tx`
        delete from password_reset_requests
        where requested_at < now() - make_interval(days => ${days})
        returning id
      `;
      return rows.length;
    },
  };
}

export type PasswordResetRequestsRepository = ReturnType<typeof createPasswordResetRequestsRepository>;
