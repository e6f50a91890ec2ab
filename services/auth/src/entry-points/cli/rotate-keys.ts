/**
 * `pnpm --filter @shop/auth rotate-keys`: adds a new signing key, which signs from then on, and
 * schedules the retirement of the previous one (it keeps verifying until its last token could
 * have expired). Reads the same environment as the service (DATABASE_URL, KEY_ENCRYPTION_SECRET).
 * Running instances pick the new key up within SIGNING_KEY_REFRESH_SECONDS.
 */
import { createSql, runMain } from "@shop/platform";
import { loadAuthConfig } from "../../config.js";
import { createSigningKeysRepository } from "../../data-access/signing-keys-repository.js";
import { createKeyCipher } from "../../domain/key-cipher.js";
import { RETIRE_AFTER_SECONDS, rotateKeys } from "../../domain/rotate-keys.js";

runMain(async () => {
  const config = loadAuthConfig(process.env);
  const sql = createSql(config.databaseUrl, { max: 1, applicationName: `${config.serviceName}-rotate-keys` });
  try {
    const result = await rotateKeys({
      sql,
      repo: createSigningKeysRepository(sql),
      cipher: createKeyCipher(config.keyEncryptionSecret),
    });
    process.stdout.write(
      `${JSON.stringify({ ...result, retireAfterSeconds: RETIRE_AFTER_SECONDS, encrypted: Boolean(config.keyEncryptionSecret) })}\n`,
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
});
