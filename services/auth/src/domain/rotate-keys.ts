import type { Sql } from "@shop/platform";
import type { SigningKeysRepository } from "../data-access/signing-keys-repository.js";
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from "./access-token.js";
import type { KeyCipher } from "./key-cipher.js";
import { generateSigningKey } from "./signing-key-material.js";

/**
 * How long a replaced key keeps verifying: the longest access-token lifetime, plus the longest
 * time an instance may keep signing with its cached key (SIGNING_KEY_REFRESH_SECONDS <= 240)
 * and a minute of clock skew.
 */
export const RETIRE_AFTER_SECONDS = MAX_ACCESS_TOKEN_TTL_SECONDS + 240 + 60;

export interface RotationResult {
  /** The key that signs from now on. */
  kid: string;
  /** Keys that stop signing now and stop verifying after RETIRE_AFTER_SECONDS. */
  retiring: string[];
  /** Keys past their retirement, deleted. */
  deleted: string[];
}

/** Adds a new signing key and schedules the retirement of the previous one(s). */
export async function rotateKeys(deps: {
  sql: Sql;
  repo: SigningKeysRepository;
  cipher: KeyCipher;
}): Promise<RotationResult> {
  const key = await generateSigningKey(deps.cipher);
  return deps.sql.begin(async (tx) => {
    await deps.repo.lock(tx);
    const deleted = await deps.repo.deleteRetired(tx);
    const retiring = await deps.repo.retireActive(RETIRE_AFTER_SECONDS, tx);
    await deps.repo.insert(key, tx);
    return { kid: key.kid, retiring, deleted };
  });
}
