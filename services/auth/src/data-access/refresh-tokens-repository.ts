import type { Queryable, Sql } from "@shop/platform";

export interface FamilyRow {
  id: string;
  userId: string;
  expiresAt: Date;
  revoked: boolean;
  expired: boolean;
}

export function createRefreshTokensRepository(sql: Sql) {
  return {
    async createFamily(userId: string, ttlDays: number, tx: Queryable = sql): Promise<FamilyRow> {
      const rows = await tx<FamilyRow[]>`
        insert into refresh_families (user_id, expires_at)
        values (${userId}, now() + make_interval(days => ${ttlDays}))
        returning id, user_id as "userId", expires_at as "expiresAt", false as revoked, false as expired
      `;
      return rows[0]!;
    },

    async insertToken(tokenHash: Buffer, familyId: string, tx: Queryable = sql): Promise<void> {
      await tx`insert into refresh_tokens (token_hash, family_id) values (${tokenHash}, ${familyId})`;
    },

    async findFamilyId(tokenHash: Buffer, tx: Queryable = sql): Promise<string | undefined> {
      const rows = await tx<{ familyId: string }[]>`
        select family_id as "familyId" from refresh_tokens where token_hash = ${tokenHash}
      `;
      return rows[0]?.familyId;
    },

    /**
     * Locks the family row until the transaction ends: every refresh, logout and revocation of a
     * family goes through this lock, so two uses of one token are serialised.
     */
    async lockFamily(familyId: string, tx: Queryable): Promise<FamilyRow | undefined> {
      const rows = await tx<FamilyRow[]>`
        select id, user_id as "userId", expires_at as "expiresAt",
          revoked_at is not null as revoked, expires_at <= now() as expired
        from refresh_families
        where id = ${familyId}
        for update
      `;
      return rows[0];
    },

    /** Whether the token was already exchanged. Read after `lockFamily`, it sees the latest commit. */
    async isRotated(tokenHash: Buffer, tx: Queryable): Promise<boolean> {
      const rows = await tx<{ rotated: boolean }[]>`
        select rotated_at is not null as rotated from refresh_tokens where token_hash = ${tokenHash}
      `;
      return rows[0]?.rotated ?? true;
    },

    async markRotated(tokenHash: Buffer, tx: Queryable): Promise<void> {
      await tx`update refresh_tokens set rotated_at = now() where token_hash = ${tokenHash}`;
    },

    async revokeFamily(familyId: string, reason: string, tx: Queryable = sql): Promise<void> {
      await tx`
        update refresh_families set revoked_at = now(), revoked_reason = ${reason}
        where id = ${familyId} and revoked_at is null
      `;
    },

    /** Revokes every live login of a user; returns how many. */
    async revokeAllOfUser(userId: string, reason: string, tx: Queryable = sql): Promise<number> {
      const rows = await tx`
        update refresh_families set revoked_at = now(), revoked_reason = ${reason}
        where user_id = ${userId} and revoked_at is null
        returning id
      `;
      return rows.length;
    },

    /** Deletes logins that ended (expired or revoked) more than `graceDays` ago, with their tokens. */
    async purgeEnded(graceDays: number, tx: Queryable = sql): Promise<number> {
      const rows = await tx`
        delete from refresh_families
        where expires_at < now() - make_interval(days => ${graceDays})
          or revoked_at < now() - make_interval(days => ${graceDays})
        returning id
      `;
      return rows.length;
    },
  };
}

export type RefreshTokensRepository = ReturnType<typeof createRefreshTokensRepository>;
