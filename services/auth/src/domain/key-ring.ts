import type { Logger, Sql } from "@shop/platform";
import {
  type CryptoKey,
  createLocalJWKSet,
  importPKCS8,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from "jose";
import type { SigningKeysRepository } from "../data-access/signing-keys-repository.js";
import type { KeyCipher } from "./key-cipher.js";
import { generateSigningKey } from "./signing-key-material.js";

interface LoadedKeys {
  signing: { kid: string; algorithm: string; privateKey: CryptoKey };
  jwks: JSONWebKeySet;
  retireAt: Map<string, Date | null>;
  getKey: JWTVerifyGetKey;
}

/** A token naming an unknown kid rereads the keys at most this often (junk kids cannot flood the db). */
const MISS_RELOAD_COOLDOWN_MS = 1_000;

/**
 * This process's view of the signing keys: the newest active key signs, every key not yet
 * retired verifies. Keys are reread every `refreshSeconds` (a rotation made by the CLI or another
 * instance is picked up) and at once when a token names a kid we do not know yet.
 */
export function createKeyRing(deps: {
  sql: Sql;
  repo: SigningKeysRepository;
  cipher: KeyCipher;
  refreshSeconds: number;
  logger: Logger;
}) {
  const { sql, repo, cipher } = deps;
  let loaded: LoadedKeys | undefined;
  let loadedAt = 0;
  let inflight: Promise<LoadedKeys> | undefined;
  let lastMissReload = 0;

  async function load(): Promise<LoadedKeys> {
    const rows = await repo.listVerifying();
    const active = rows.find((r) => r.retireAt === null);
    if (!active) throw new Error("no active signing key (run rotate-keys or restart the auth service)");
    const privateKey = await importPKCS8(cipher.open(active.kid, active.privateKey), active.algorithm);
    const jwks = { keys: rows.map((r) => r.publicJwk) };
    return {
      signing: { kid: active.kid, algorithm: active.algorithm, privateKey },
      jwks,
      retireAt: new Map(rows.map((r) => [r.kid, r.retireAt])),
      getKey: createLocalJWKSet(jwks),
    };
  }

  function reload(): Promise<LoadedKeys> {
    inflight ??= load()
      .then((keys) => {
        loaded = keys;
        loadedAt = Date.now();
        return keys;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  }

  async function current(): Promise<LoadedKeys> {
    if (loaded && Date.now() - loadedAt < deps.refreshSeconds * 1000) return loaded;
    try {
      return await reload();
    } catch (err) {
      // Keep serving with the keys we have while the database is briefly away.
      if (!loaded) throw err;
      deps.logger.warn({ err }, "signing keys could not be reread; using the cached ones");
      return loaded;
    }
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    // Our tokens always name their key; without a kid jose would try any key of the right type.
    if (!header.kid) throw new Error("token names no kid");
    let keys = await current();
    const retireAt = keys.retireAt.get(header.kid);
    if (retireAt === undefined && Date.now() - lastMissReload > MISS_RELOAD_COOLDOWN_MS) {
      lastMissReload = Date.now();
      keys = await reload();
    }
    const when = keys.retireAt.get(header.kid);
    // A key retired since the last reread no longer verifies.
    if (when && when.getTime() <= Date.now()) throw new Error("signing key is retired");
    return keys.getKey(header, token);
  };

  return {
    current,
    /** For `createTokenVerifier({ keys })`: pinned to our own keys, looked up by `kid`. */
    getKey,
    /** Creates the first key when there is none (first start); safe with several instances. */
    async ensureKey(): Promise<void> {
      if ((await repo.countActive()) === 0) {
        const key = await generateSigningKey(cipher);
        const created = await sql.begin(async (tx) => {
          await repo.lock(tx);
          if ((await repo.countActive(tx)) > 0) return false;
          await repo.insert(key, tx);
          return true;
        });
        if (created) deps.logger.info({ kid: key.kid }, "generated the first signing key");
      }
      await reload();
    },
    /** Forgets the cached keys, e.g. right after this process rotated them. */
    invalidate(): void {
      loadedAt = 0;
    },
  };
}

export type KeyRing = ReturnType<typeof createKeyRing>;
