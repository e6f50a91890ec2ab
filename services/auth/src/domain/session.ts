import type { Queryable } from "@shop/platform";
import type { UserRow } from "../data-access/users-repository.js";
import { signAccessToken } from "./access-token.js";
import type { AuthContext } from "./context.js";
import { digestToken, newSecretToken } from "./secret-tokens.js";

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: "Bearer";
  expiresIn: number;
}

/** A new login: a new refresh-token family (absolute expiry from now) and its first tokens. */
export async function startSession(ctx: AuthContext, user: UserRow, tx: Queryable): Promise<TokenPair> {
  const family = await ctx.refreshTokens.createFamily(user.id, ctx.settings.refreshTokenTtlDays, tx);
  return continueSession(ctx, user, family.id, tx);
}

/** The next refresh token of a family, with a fresh access token. */
export async function continueSession(
  ctx: AuthContext,
  user: UserRow,
  familyId: string,
  tx: Queryable,
): Promise<TokenPair> {
  const refreshToken = newSecretToken();
  await ctx.refreshTokens.insertToken(digestToken(refreshToken), familyId, tx);
  const accessToken = await signAccessToken(
    ctx.keys,
    { id: user.id, role: user.role, emailVerified: user.emailVerifiedAt !== null },
    ctx.settings.accessTokenTtlSeconds,
  );
  return { accessToken, refreshToken, tokenType: "Bearer", expiresIn: ctx.settings.accessTokenTtlSeconds };
}
