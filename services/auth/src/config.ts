import { grpcCallerSettings, grpcTlsSettings } from "@shop/grpc";
import { oneTimeTokenKeySetting } from "@shop/identity";
import { relaySettings } from "@shop/outbox";
import {
  bool,
  ConfigError,
  type ConfigOf,
  commonSettings,
  databaseSettings,
  grpcSettings,
  int,
  kafkaSettings,
  loadConfig,
  type Setting,
  str,
} from "@shop/platform";
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from "./domain/access-token.js";
import { MAX_ARGON2_MEMORY_KIB, OWASP_ARGON2ID } from "./domain/password-hash.js";
import { checkPassword, normaliseEmail } from "./domain/validation.js";

/** An optional secret: empty means "not set"; when set it must be long enough to be a key. */
function secret(env: string, doc: string, minLength: number): Setting<string> {
  return {
    env,
    doc,
    default: "",
    parse: (raw) => {
      if (raw.length < minLength) throw new Error(`must be at least ${minLength} characters`);
      return raw;
    },
  };
}

export const configSpec = {
  ...commonSettings("auth", 8081),
  ...grpcSettings(50051),
  ...grpcTlsSettings(),
  ...grpcCallerSettings(["gateway"]),
  ...databaseSettings("shop_auth"),
  ...kafkaSettings(),
  ...relaySettings(),
  accessTokenTtlSeconds: int(
    "ACCESS_TOKEN_TTL_SECONDS",
    "lifetime of an access token (JWT), seconds; at most 900",
    MAX_ACCESS_TOKEN_TTL_SECONDS,
    30,
    MAX_ACCESS_TOKEN_TTL_SECONDS,
  ),
  refreshTokenTtlDays: int(
    "REFRESH_TOKEN_TTL_DAYS",
    "absolute lifetime of a login's refresh tokens, days from the login",
    30,
    1,
    365,
  ),
  passwordHashMemoryKib: int(
    "PASSWORD_HASH_MEMORY_KIB",
    "argon2id memory cost in KiB (OWASP: 19456, with 2 passes); lower only for tests",
    OWASP_ARGON2ID.memory,
    1024,
    MAX_ARGON2_MEMORY_KIB,
  ),
  passwordHashPasses: int(
    "PASSWORD_HASH_PASSES",
    "argon2id passes over the memory (t; OWASP: 2); lower only for tests",
    OWASP_ARGON2ID.passes,
    1,
    10,
  ),
  adminEmail: str("ADMIN_EMAIL", "when set, this account exists with role admin (created or promoted)", ""),
  adminPassword: str(
    "ADMIN_PASSWORD",
    "password of ADMIN_EMAIL when the account is created or promoted (replaces its password)",
    "",
  ),
  keyEncryptionSecret: secret(
    "KEY_ENCRYPTION_SECRET",
    "encrypts signing private keys at rest (AES-256-GCM); required unless ALLOW_PLAINTEXT_KEYS=true",
    32,
  ),
  allowPlaintextKeys: bool(
    "ALLOW_PLAINTEXT_KEYS",
    "development only: start without KEY_ENCRYPTION_SECRET and store signing private keys unencrypted",
    false,
  ),
  signingKeyRefreshSeconds: int(
    "SIGNING_KEY_REFRESH_SECONDS",
    "how often a running instance rereads the signing keys (picks up a rotation)",
    60,
    1,
    240,
  ),
  loginMaxFailures: int(
    "LOGIN_MAX_FAILURES",
    "consecutive failed logins of one email from one client address before that pair is locked for a while",
    10,
    1,
    1000,
  ),
  loginAddressMaxFailures: int(
    "LOGIN_ADDRESS_MAX_FAILURES",
    "consecutive failed logins from one client address, across emails, before the address is locked for a while",
    100,
    1,
    100_000,
  ),
  loginAccountMaxFailures: int(
    "LOGIN_ACCOUNT_MAX_FAILURES",
    "consecutive failed logins of one email from any address before addresses that failed at it are refused for a while",
    50,
    1,
    100_000,
  ),
  loginLockoutBaseSeconds: int(
    "LOGIN_LOCKOUT_BASE_SECONDS",
    "first lockout once a failure streak reaches its limit; doubles with each further failure",
    1,
    1,
    3600,
  ),
  loginLockoutMaxSeconds: int("LOGIN_LOCKOUT_MAX_SECONDS", "longest lockout", 900, 1, 86_400),
  passwordResetTtlMinutes: int(
    "PASSWORD_RESET_TTL_MINUTES",
    "lifetime of a password-reset token, minutes",
    60,
    1,
    60,
  ),
  emailVerificationTtlHours: int(
    "EMAIL_VERIFICATION_TTL_HOURS",
    "lifetime of an email-verification token, hours",
    168,
    1,
    24 * 90,
  ),
  oneTimeTokenKey: oneTimeTokenKeySetting(),
  outboxPublishedRetentionSeconds: int(
    "OUTBOX_PUBLISHED_RETENTION_SECONDS",
    "how long published outbox rows are kept before deletion (they carry sealed one-time tokens)",
    300,
    0,
    7 * 24 * 3600,
  ),
  purgeIntervalMinutes: int(
    "PURGE_INTERVAL_MINUTES",
    "how often ended logins, dead one-time tokens and stale login failures are deleted",
    60,
    1,
    24 * 60,
  ),
};

export type Config = ConfigOf<typeof configSpec>;

/** Loads and validates the configuration, including rules that span several variables. */
export function loadAuthConfig(env: NodeJS.ProcessEnv): Config {
  const config = loadConfig(configSpec, env);
  if (config.adminEmail || config.adminPassword) {
    if (!config.adminEmail) throw new ConfigError("ADMIN_EMAIL", "is required when ADMIN_PASSWORD is set");
    if (!config.adminPassword) throw new ConfigError("ADMIN_PASSWORD", "is required when ADMIN_EMAIL is set");
    if (!normaliseEmail(config.adminEmail)) throw new ConfigError("ADMIN_EMAIL", "must be an email address");
    const problem = checkPassword(config.adminPassword);
    if (problem) throw new ConfigError("ADMIN_PASSWORD", problem);
  }
  if (config.loginLockoutBaseSeconds > config.loginLockoutMaxSeconds) {
    throw new ConfigError("LOGIN_LOCKOUT_BASE_SECONDS", "must not exceed LOGIN_LOCKOUT_MAX_SECONDS");
  }
  // Without the secret the private keys that sign every token lie in the database in the clear.
  if (!config.keyEncryptionSecret && !config.allowPlaintextKeys) {
    throw new ConfigError(
      "KEY_ENCRYPTION_SECRET",
      "is required (at least 32 characters); ALLOW_PLAINTEXT_KEYS=true starts without it, for development only",
    );
  }
  return config;
}
