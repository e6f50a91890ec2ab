import type { Queryable, Sql } from "@shop/platform";

export type TokenPurpose = "verify_email" | "reset_password";

export function createOneTimeTokensRepository(sql: Sql) {
  return {
    /** Stores the token's digest; returns its expiry. */
    async insert(
      token: { hash: Buffer; userId: string; purpose: TokenPurpose; ttlSeconds: number },
      tx: Queryable = sql,
    ): Promise<Date> {
      const rows = await tx<{ expiresAt: Date }[]>`
        insert into one_time_tokens (token_hash, user_id, purpose, expires_at)
        values (${token.hash}, ${token.userId}, ${token.purpose}, now() + make_interval(secs => ${token.ttlSeconds}))
        returning expires_at as "expiresAt"
      `;
      return rows[0]!.expiresAt;
    },

    /**
     * Stores the token's digest for the account with this email, if there is one: the same
     * statement runs either way. Returns the owner and the expiry, or undefined.
     */
    async insertForEmail(
      token: { hash: Buffer; email: string; purpose: TokenPurpose; ttlSeconds: number },
      tx: Queryable = sql,
    ): Promise<{ userId: string; expiresAt: Date } | undefined> {
      const rows = await tx<{ userId: string; expiresAt: Date }[]>`
        insert into one_time_tokens (token_hash, user_id, purpose, expires_at)
        select ${token.hash}, id, ${token.purpose}, now() + make_interval(secs => ${token.ttlSeconds})
        from users
        where email = ${token.email}
        returning user_id as "userId", expires_at as "expiresAt"
      `;
      return rows[0];
    },

    /** The owner of an unused, unexpired token, without using it. */
    async findUsable(hash: Buffer, purpose: TokenPurpose, tx: Queryable = sql): Promise<string | undefined> {
      const rows = await tx<{ userId: string }[]>`
        select user_id as "userId" from one_time_tokens
        where token_hash = ${hash} and purpose = ${purpose} and used_at is null and expires_at > now()
      `;
      return rows[0]?.userId;
    },

    /** Uses the token (atomically: of two concurrent callers only one gets the user id). */
    async consume(hash: Buffer, purpose: TokenPurpose, tx: Queryable = sql): Promise<string | undefined> {
      const rows = await tx<{ userId: string }[]>`
        update one_time_tokens set used_at = now()
        where token_hash = ${hash} and purpose = ${purpose} and used_at is null and expires_at > now()
        returning user_id as "userId"
      `;
      return rows[0]?.userId;
    },

    /** Voids the user's other outstanding tokens of a purpose (e.g. older reset links). */
    async voidAllOfUser(userId: string, purpose: TokenPurpose, tx: Queryable = sql): Promise<void> {
      await tx`
        update one_time_tokens set used_at = now()
        where user_id = ${userId} and purpose = ${purpose} and used_at is null
      `;
    },

    /** Deletes tokens used or expired more than `graceDays` ago (they would be refused anyway). */
    async purgeDead(graceDays: number, tx: Queryable = sql): Promise<number> {
      const rows = await tx`
        delete from one_time_tokens
        where expires_at < now() - make_interval(days => ${graceDays})
          or used_at < now() - make_interval(days => ${graceDays})
        returning token_hash
      `;
      return rows.length;
    },
  };
}

export type OneTimeTokensRepository = ReturnType<typeof createOneTimeTokensRepository>;
