import type { Queryable, Sql } from "@shop/platform";

/** Failures older than this no longer count: the streak starts again. */
const STREAK_RESET = "1 day";

/** Which streak a row is: `email` and `client_address` are '' where the streak spans all of them. */
export type StreakScope = "pair" | "account" | "address";

export interface FailureStreak {
  /** Consecutive failures that still count (0 once the streak is over a day old). */
  failures: number;
  /** Seconds left of its lockout, by the database clock (0 when not locked). */
  lockedForSeconds: number;
}

export type ThrottleState = Record<StreakScope, FailureStreak>;

const NONE: FailureStreak = { failures: 0, lockedForSeconds: 0 };

/** The (email, client_address) key of each scope's row. */
function keyOf(scope: StreakScope, email: string, address: string): [string, string] {
  if (scope === "pair") return [email, address];
  return scope === "account" ? [email, ""] : ["", address];
}

function scopeOf(row: { email: string; clientAddress: string }): StreakScope {
  if (row.email === "") return "address";
  return row.clientAddress === "" ? "account" : "pair";
}

/**
 * Failure streaks of logins (table `login_failure_streaks`), three per attempt: the email from
 * this client address, the account from anywhere, the client address across emails.
 */
export function createLoginFailuresRepository(sql: Sql) {
  return {
    /** The three streaks that concern a login of `email` from `address`. */
    async read(email: string, address: string, tx: Queryable = sql): Promise<ThrottleState> {
      const rows = await tx<({ email: string; clientAddress: string } & FailureStreak)[]>`
        select email, client_address as "clientAddress",
          case when last_failed_at > now() - ${STREAK_RESET}::interval then failures else 0 end as failures,
          coalesce(greatest(0, extract(epoch from locked_until - now())), 0)::float8 as "lockedForSeconds"
        from login_failure_streaks
        where (email, client_address) in ((${email}, ${address}), (${email}, ''), ('', ${address}))
      `;
      const state: ThrottleState = { pair: NONE, account: NONE, address: NONE };
      for (const { failures, lockedForSeconds, ...key } of rows) {
        state[scopeOf(key)] = { failures, lockedForSeconds };
      }
      return state;
    },

    /** Counts one more failure in all three streaks; returns their lengths. */
    async recordFailure(
      email: string,
      address: string,
      tx: Queryable = sql,
    ): Promise<Record<StreakScope, number>> {
      // The rows are always written in the same order (pair, account, address): no deadlocks.
      const rows = await tx<{ email: string; clientAddress: string; failures: number }[]>`
        insert into login_failure_streaks as s (email, client_address, failures, last_failed_at)
        values (${email}, ${address}, 1, now()), (${email}, '', 1, now()), ('', ${address}, 1, now())
        on conflict (email, client_address) do update set
          failures = case
            when s.last_failed_at < now() - ${STREAK_RESET}::interval then 1
            else s.failures + 1
          end,
          last_failed_at = now()
        returning email, client_address as "clientAddress", failures
      `;
      const counts = { pair: 0, account: 0, address: 0 };
      for (const row of rows) counts[scopeOf(row)] = row.failures;
      return counts;
    },

    async lock(
      scope: StreakScope,
      email: string,
      address: string,
      seconds: number,
      tx: Queryable = sql,
    ): Promise<void> {
      const [e, a] = keyOf(scope, email, address);
      await tx`
        update login_failure_streaks set locked_until = now() + make_interval(secs => ${seconds})
        where email = ${e} and client_address = ${a}
      `;
    },

    /** Ends the streak of this email from this address (a successful login). */
    async clearPair(email: string, address: string, tx: Queryable = sql): Promise<void> {
      await tx`delete from login_failure_streaks where email = ${email} and client_address = ${address}`;
    },

    /** Ends every streak of an email, from any address (a password reset). */
    async clearEmail(email: string, tx: Queryable = sql): Promise<void> {
      await tx`delete from login_failure_streaks where email = ${email}`;
    },

    /** Deletes streaks that no longer count and lock nothing. */
    async purgeStale(tx: Queryable = sql): Promise<number> {
      const rows = await tx`
        delete from login_failure_streaks
        where last_failed_at < now() - ${STREAK_RESET}::interval
          and (locked_until is null or locked_until < now())
        returning email
      `;
      return rows.length;
    },
  };
}

export type LoginFailuresRepository = ReturnType<typeof createLoginFailuresRepository>;
