import { AppError } from "@shop/platform";
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from "jose";

/** Fixed claims of every access token the auth service issues. */
export const TOKEN_ISSUER = "shop-saga/auth";
export const TOKEN_AUDIENCE = "shop-saga";
/** The only algorithms accepted: asymmetric, pinned; `none` and HMAC never verify. */
export const TOKEN_ALGORITHMS = ["EdDSA", "ES256"];

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

  async function verifyToken(token: string): Promise<Identity> {
    try {
      const { payload } = await jwtVerify(token, keys!, { issuer, audience, algorithms: TOKEN_ALGORITHMS });
      const role = payload.role;
      if (typeof payload.sub !== "string" || (role !== "customer" && role !== "admin")) {
        throw new Error("token lacks sub or role");
      }
      return { userId: payload.sub, role, token };
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

export type TokenVerifier = ReturnType<typeof createTokenVerifier>;

export function requireAdmin(identity: Identity): void {
  if (identity.role !== "admin") throw AppError.forbidden("admin role required");
}
