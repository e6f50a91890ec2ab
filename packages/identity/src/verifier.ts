import { AppError } from "@shop/platform";
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from "jose";

/** Fixed claims of every access token the auth service issues. */
export const TOKEN_ISSUER = "shop-saga/auth";
export const TOKEN_AUDIENCE = "shop-saga";
/** The only algorithms accepted: asymmetric, pinned; `none` and HMAC never verify. */
export const TOKEN_ALGORITHMS = ["EdDSA", "ES256"];
/** The longest access token accepted (`exp - iat`), seconds: auth issues at most 15 minutes. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 900;
/** How far in the future `iat` may lie (clock skew between hosts), seconds. */
const MAX_CLOCK_SKEW_SECONDS = 60;

export type Role = "customer" | "admin";

export interface Identity {
  userId: string;
  role: Role;
  /** The bearer token as received, to forward downstream in gRPC metadata. */
  token: string;
}

export interface VerifierOptions {
  /** The auth service's JWKS URL, fetched and cached; refetched when a token names an unknown `kid`. */
  jwksUrl?: string;
  /** Or a key getter (e.g. jose's createLocalJWKSet) — used in tests and by the auth service itself. */
  keys?: JWTVerifyGetKey;
  issuer?: string;
  audience?: string;
  /**
   * Longest lifetime (`exp - iat`) a token may claim, seconds; default 900. Tokens without `exp` or
   * `iat`, or issued in the future, are refused too: a leaked key must not mint year-long tokens.
   */
  maxLifetimeSeconds?: number;
  /**
   * How long a verified token is remembered, so that the same bearer token presented again (every
   * request of a session, and each hop of one request) skips the signature check. An entry never
   * outlives the token's `exp`; failures are never remembered. Default 60 s with `jwksUrl` (whose key
   * set is itself cached for 10 minutes, so a retired key is not honoured any longer than without
   * this), 0 (off) with `keys`, where a key's retirement must show at once.
   */
  cacheMaxAgeMs?: number;
  /** Most tokens remembered; the oldest is dropped first. Default 10,000. */
  cacheMaxEntries?: number;
}

interface Verified {
  identity: Identity;
  /** Epoch ms after which the entry is not used: the smaller of the token's `exp` and the max age. */
  until: number;
}

/**
 * Verifies `Authorization: Bearer <jwt>` values. The key comes only from our JWKS by `kid`:
 * `jku`, `jwk` and `x5u` headers are never followed.
 */
export function createTokenVerifier(opts: VerifierOptions) {
  const keys =
    opts.keys ??
    (opts.jwksUrl
      ? createRemoteJWKSet(new URL(opts.jwksUrl), { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000 })
      : undefined);
  if (!keys) throw new Error("createTokenVerifier needs jwksUrl or keys");
  const issuer = opts.issuer ?? TOKEN_ISSUER;
  const audience = opts.audience ?? TOKEN_AUDIENCE;
  const maxLifetimeSeconds = opts.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const cacheMaxAgeMs = opts.cacheMaxAgeMs ?? (opts.keys ? 0 : 60_000);
  const cacheMaxEntries = opts.cacheMaxEntries ?? 10_000;
  const verified = new Map<string, Verified>();

  function remembered(token: string): Identity | undefined {
    const entry = verified.get(token);
    if (!entry) return undefined;
    if (Date.now() < entry.until) return entry.identity;
    verified.delete(token);
    return undefined;
  }

  function remember(identity: Identity, exp: number | undefined): void {
    if (cacheMaxAgeMs <= 0 || exp === undefined) return;
    verified.set(identity.token, { identity, until: Math.min(exp * 1000, Date.now() + cacheMaxAgeMs) });
    if (verified.size > cacheMaxEntries) verified.delete(verified.keys().next().value as string);
  }

  async function verifyToken(token: string): Promise<Identity> {
    const known = remembered(token);
    if (known) return known;
    try {
      const { payload } = await jwtVerify(token, keys!, {
        issuer,
        audience,
        algorithms: TOKEN_ALGORITHMS,
        requiredClaims: ["exp", "iat"],
      });
      const role = payload.role;
      if (typeof payload.sub !== "string" || (role !== "customer" && role !== "admin")) {
        throw new Error("token lacks sub or role");
      }
      checkLifetime(payload.iat!, payload.exp!, maxLifetimeSeconds);
      const identity: Identity = { userId: payload.sub, role, token };
      remember(identity, payload.exp);
      return identity;
    } catch (err) {
      if (err instanceof AppError) throw err;
      const code = (err as { code?: string }).code ?? "";
      // A JWKS that cannot be fetched is our outage, not the client's bad token.
      if (code === "ERR_JWKS_TIMEOUT" || /fetch|ECONNREFUSED/i.test(String((err as Error).message))) {
        throw AppError.unavailable("token keys unavailable", err);
      }
      throw AppError.unauthenticated("invalid or expired access token");
    }
  }

  return {
    verifyToken,
    /** Verifies an `Authorization` value; missing or malformed gives 401. */
    async verify(authorization: string | undefined): Promise<Identity> {
      const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization?.trim() ?? "");
      if (!match) throw AppError.unauthenticated("missing bearer token");
      return verifyToken(match[1]!);
    },
  };
}

function checkLifetime(iat: number, exp: number, maxLifetimeSeconds: number): void {
  if (exp - iat > maxLifetimeSeconds) throw new Error("token lifetime exceeds the maximum");
  if (iat > Date.now() / 1000 + MAX_CLOCK_SKEW_SECONDS) throw new Error("token issued in the future");
}

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;

export function requireAdmin(identity: Identity): void {
  if (identity.role !== "admin") throw AppError.forbidden("admin role required");
}
