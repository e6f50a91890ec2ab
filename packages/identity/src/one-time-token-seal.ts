import { ConfigError, type Setting } from "@shop/platform";
import { EncryptJWT, jwtDecrypt } from "jose";

/**
 * One-time tokens (email verification, password reset) travel from auth to the notification
 * service sealed: a compact JWE (`dir` + `A256GCM`) under a 32-byte key only these two services
 * hold. The outbox, the topic and anything copied from them carry ciphertext only. Besides the
 * token the JWE binds the user, the address and the purpose, and expires with the token, so a
 * sealed token moved into another event (another address) or replayed later does not open.
 */
export const ONE_TIME_TOKEN_KEY_ENV = "ONE_TIME_TOKEN_KEY";

export type OneTimeTokenPurpose = "verify_email" | "reset_password";

export interface OneTimeTokenClaims {
  token: string;
  purpose: OneTimeTokenPurpose;
  userId: string;
  email: string;
  expiresAt: Date;
}

const ISSUER = "shop-saga/auth";
const AUDIENCE = "shop-saga/notification";
const KEY_SHAPE = /^[A-Za-z0-9_\-+/]{43}=?$/;

/**
 * The key as configured: 32 random bytes in base64url (standard base64 is accepted too). The
 * message never repeats the value, since a bad value may still be most of the real key.
 */
export function decodeOneTimeTokenKey(raw: string, variable = ONE_TIME_TOKEN_KEY_ENV): Uint8Array {
  const key = KEY_SHAPE.test(raw) ? Buffer.from(raw, "base64url") : Buffer.alloc(0);
  if (key.length !== 32) {
    throw new ConfigError(
      variable,
      "must be 32 random bytes, base64url-encoded (43 characters; e.g. `openssl rand -base64 32`)",
    );
  }
  return new Uint8Array(key);
}

/**
 * The config setting. Loading keeps the raw value (a parse error would echo it); the service's
 * main checks it with `decodeOneTimeTokenKey` before anything starts, so a missing or bad key
 * stops the process, while tools that load the same config without sealing need no key.
 */
export function oneTimeTokenKeySetting(): Setting<string> {
  return {
    env: ONE_TIME_TOKEN_KEY_ENV,
    doc: "required: 32 random bytes, base64url; encrypts one-time tokens (verification, reset) from auth to notification, the same value in both",
    default: "",
    parse: (raw) => raw,
  };
}

/** Seals and opens one-time tokens with the shared key (see the module comment). */
export function createOneTimeTokenSeal(rawKey: string) {
  const key = decodeOneTimeTokenKey(rawKey);
  return {
    async seal(claims: OneTimeTokenClaims): Promise<string> {
      return new EncryptJWT({ token: claims.token, purpose: claims.purpose, email: claims.email })
        .setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: "one-time-token+jwt" })
        .setSubject(claims.userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
        .encrypt(key);
    },
    /** The token, when the JWE decrypts, has not expired and was sealed for this user, address and purpose. */
    async open(
      jwe: string,
      expected: { purpose: OneTimeTokenPurpose; userId: string; email: string },
    ): Promise<string> {
      const { payload } = await jwtDecrypt(jwe, key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        subject: expected.userId,
        keyManagementAlgorithms: ["dir"],
        contentEncryptionAlgorithms: ["A256GCM"],
        requiredClaims: ["exp"],
      });
      if (payload.purpose !== expected.purpose) throw new Error("sealed token is for another purpose");
      if (typeof payload.email !== "string" || payload.email.toLowerCase() !== expected.email.toLowerCase()) {
        throw new Error("sealed token is for another address");
      }
      if (typeof payload.token !== "string") throw new Error("sealed token carries no token");
      return payload.token;
    },
  };
}

export type OneTimeTokenSeal = ReturnType<typeof createOneTimeTokenSeal>;
