import type { EventEnvelope } from "@shop/events";
import type { TokenVerifier } from "@shop/identity";
import type { Logger, Queryable, Sql } from "@shop/platform";
import type { LoginFailuresRepository } from "../data-access/login-failures-repository.js";
import type { OneTimeTokensRepository } from "../data-access/one-time-tokens-repository.js";
import type { PasswordResetRequestsRepository } from "../data-access/password-reset-requests-repository.js";
import type { RefreshTokensRepository } from "../data-access/refresh-tokens-repository.js";
import type { SigningKeysRepository } from "../data-access/signing-keys-repository.js";
import type { UserRow, UsersRepository } from "../data-access/users-repository.js";
import type { AuthMetrics } from "./auth-metrics.js";
import type { KeyCipher } from "./key-cipher.js";
import type { KeyRing } from "./key-ring.js";
import type { PasswordHasher } from "./password-hash.js";

export interface AuthSettings {
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  loginMaxFailures: number;
  loginAddressMaxFailures: number;
  loginAccountMaxFailures: number;
  loginLockoutBaseSeconds: number;
  loginLockoutMaxSeconds: number;
  passwordResetTtlMinutes: number;
  emailVerificationTtlHours: number;
  /** Seals one-time tokens for the notification service (ONE_TIME_TOKEN_KEY). */
  oneTimeTokenKey: string;
}

/** Writes events inside the caller's transaction (the transactional outbox). */
export interface EventOutbox {
  enqueue(tx: Queryable, event: EventEnvelope): Promise<void>;
}

/** Everything a use case needs, created once in `app.ts`. */
export interface AuthContext {
  sql: Sql;
  logger: Logger;
  metrics: AuthMetrics;
  settings: AuthSettings;
  outbox: EventOutbox;
  users: UsersRepository;
  refreshTokens: RefreshTokensRepository;
  oneTimeTokens: OneTimeTokensRepository;
  resetRequests: PasswordResetRequestsRepository;
  loginFailures: LoginFailuresRepository;
  signingKeys: SigningKeysRepository;
  passwords: PasswordHasher;
  cipher: KeyCipher;
  keys: KeyRing;
  verifier: TokenVerifier;
}

export interface PublicUser {
  id: string;
  email: string;
  role: UserRow["role"];
  emailVerified: boolean;
  createdAt: string;
}

export function toPublicUser(user: UserRow): PublicUser {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    emailVerified: user.emailVerifiedAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}
