import type { Queryable, Sql } from "@shop/platform";

/** Failures older than this no longer count: the streak starts again. */
const STREAK_RESET = "1 day";

export function createLoginFailuresRepository(sql: Sql) {
  return {
    /** Seconds left of the account's current lockout (0 when not locked), by the database clock. */
    async lockedForSeconds(email: string, tx: Queryable = sql): Promise<number> {
      const rows = await tx<{ seconds: number }[]>`
        select greatest(0, extract(epoch from locked_until - now()))::float8 as seconds
        from login_failures
        where email = ${email} and locked_until > now()
      `;
      return rows[0]?.seconds ?? 0;
    },

    /** Counts one more consecutive failure and returns the streak length. */
    async recordFailure(email: string, tx: Queryable = sql): Promise<number> {
      const rows = await tx<{ failures: number }[]>`
        insert into login_failures as lf (email, failures, last_failed_at)
        values (${email}, 1, now())
        on conflict (email) do update set
          failures = case
            when lf.last_failed_at < now() - ${STREAK_RESET}::interval then 1
            else lf.failures + 1
          end,
          last_failed_at = now()
        returning failures
      `;
      return rows[0]!.failures;
    },

    async lock(email: string, seconds: number, tx: Queryable = sql): Promise<void> {
      await tx`
        update login_failures set locked_until = now() + make_interval(secs => ${seconds})
        where email = ${email}
      `;
    },

    async clear(email: string, tx: Queryable = sql): Promise<void> {
      await tx`delete from login_failures where email = ${email}`;
    },

    /** Deletes streaks that no longer count and lock nothing. */
    async purgeStale(tx: Queryable = sql): Promise<number> {
      const rows = await tx`
        delete from login_failures
        where last_failed_at < now() - ${STREAK_RESET}::interval
          and (locked_until is null or locked_until < now())
        returning email
      `;
      return rows.length;
    },
  };
}

export type LoginFailuresRepository = ReturnType<typeof createLoginFailuresRepository>;
