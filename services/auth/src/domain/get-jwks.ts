import type { JSONWebKeySet } from "jose";
import type { AuthContext } from "./context.js";

/**
 * The public keys that verify access tokens, read fresh from the database: another instance may
 * already sign with a key this process has not cached yet. Public halves only.
 */
export async function getJwks(ctx: AuthContext): Promise<JSONWebKeySet> {
  const rows = await ctx.signingKeys.listVerifying();
  return {
    keys: rows.map(({ publicJwk }) => ({
      kty: publicJwk.kty,
      crv: publicJwk.crv,
      x: publicJwk.x,
      kid: publicJwk.kid,
      alg: publicJwk.alg,
      use: publicJwk.use,
    })),
  };
}
