import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const PREFIX = "aes-256-gcm:v1:";
const PLAIN = "plain:";

/**
 * Encrypts signing private keys at rest with AES-256-GCM under a key derived (HKDF-SHA256) from
 * KEY_ENCRYPTION_SECRET. The key id is bound as associated data, so a ciphertext copied onto
 * another row does not decrypt. Without a secret keys are stored as `plain:<pem>`; rows written
 * either way stay readable, so a secret can be introduced at the next rotation.
 */
export function createKeyCipher(secret: string) {
  const key = secret
    ? Buffer.from(hkdfSync("sha256", secret, "shop-auth", "signing-key-encryption", 32))
    : undefined;

  return {
    encrypts: key !== undefined,
    seal(kid: string, pem: string): string {
      if (!key) return `${PLAIN}${pem}`;
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(kid, "utf8"));
      const body = Buffer.concat([cipher.update(pem, "utf8"), cipher.final()]);
      const tag = cipher.getAuthTag();
      return `${PREFIX}${iv.toString("base64url")}:${tag.toString("base64url")}:${body.toString("base64url")}`;
    },
    open(kid: string, stored: string): string {
      if (stored.startsWith(PLAIN)) return stored.slice(PLAIN.length);
      if (!stored.startsWith(PREFIX)) throw new Error(`signing key ${kid} has an unknown storage format`);
      if (!key) throw new Error(`signing key ${kid} is encrypted but KEY_ENCRYPTION_SECRET is not set`);
      const [iv, tag, body] = stored.slice(PREFIX.length).split(":");
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv ?? "", "base64url"))
          .setAAD(Buffer.from(kid, "utf8"))
          .setAuthTag(Buffer.from(tag ?? "", "base64url"));
        return Buffer.concat([
          decipher.update(Buffer.from(body ?? "", "base64url")),
          decipher.final(),
        ]).toString("utf8");
      } catch (err) {
        throw new Error(`signing key ${kid} does not decrypt: wrong KEY_ENCRYPTION_SECRET?`, { cause: err });
      }
    },
  };
}

export type KeyCipher = ReturnType<typeof createKeyCipher>;
