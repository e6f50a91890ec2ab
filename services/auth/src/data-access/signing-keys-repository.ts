import type { Queryable, Sql } from "@shop/platform";
import type { JWK } from "jose";

export interface SigningKeyRow {
  kid: string;
  algorithm: string;
  publicJwk: JWK;
  privateKey: string;
  createdAt: Date;
  retireAt: Date | null;
}

/** Advisory lock that serialises key generation and rotation across instances and the CLI. */
const KEYS_LOCK = "auth.signing_keys";

export function createSigningKeysRepository(sql: Sql) {
  const columns = sql`
    kid, algorithm, public_jwk as "publicJwk", private_key as "privateKey", created_at as "createdAt",
    retire_at as "retireAt"
  `;

  return {
    async lock(tx: Queryable): Promise<void> {
      await tx`select pg_advisory_xact_lock(hashtext(${KEYS_LOCK}))`;
    },

    /** Keys that still verify tokens (not past `retire_at`), newest first. */
    async listVerifying(tx: Queryable = sql): Promise<SigningKeyRow[]> {
      return tx<SigningKeyRow[]>`
        select ${columns} from signing_keys
        where retire_at is null or retire_at > now()
        order by created_at desc, kid
      `;
    },

    async countActive(tx: Queryable = sql): Promise<number> {
      const rows = await tx<
        { n: number }[]
      >`select count(*)::int as n from signing_keys where retire_at is null`;
      return rows[0]!.n;
    },

    async insert(
      key: { kid: string; algorithm: string; publicJwk: JWK; sealedPrivateKey: string },
      tx: Queryable = sql,
    ): Promise<void> {
      await tx`
        insert into signing_keys (kid, algorithm, public_jwk, private_key)
        values (${key.kid}, ${key.algorithm}, ${tx.json(key.publicJwk as never)}, ${key.sealedPrivateKey})
      `;
    },

    /** Schedules the retirement of every active key; returns their kids. */
    async retireActive(afterSeconds: number, tx: Queryable = sql): Promise<string[]> {
      const rows = await tx<{ kid: string }[]>`
        update signing_keys set retire_at = now() + make_interval(secs => ${afterSeconds})
        where retire_at is null
        returning kid
      `;
      return rows.map((r) => r.kid);
    },

    /** Deletes keys whose tokens have all expired: their private halves serve no purpose. */
    async deleteRetired(tx: Queryable = sql): Promise<string[]> {
      const rows = await tx<{ kid: string }[]>`
        delete from signing_keys where retire_at <= now() returning kid
      `;
      return rows.map((r) => r.kid);
    },
  };
}

export type SigningKeysRepository = ReturnType<typeof createSigningKeysRepository>;
