import { createHash, randomBytes } from "node:crypto";

/** Opaque tokens handed to clients (refresh, email verification, password reset): 32 random bytes. */
export function newSecretToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Only this digest is stored, so a database leak yields no usable token. */
export function digestToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Whether a presented value could be one of our tokens at all (saves a query for junk). */
export function looksLikeSecretToken(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}
