import { AppError } from "@shop/platform";
import type { UserRow } from "../data-access/users-repository.js";
import type { AuthContext } from "./context.js";
import { digestToken, looksLikeSecretToken } from "./secret-tokens.js";
import { continueSession, type TokenPair } from "./session.js";
import { requireToken } from "./validation.js";

type Outcome = { ok: true; pair: TokenPair } | { ok: false; reused?: { familyId: string; userId: string } };

/**
 * Exchanges a refresh token for a new pair; the presented token stops working. Presenting a
 * token that was already exchanged means it leaked (or a client misbehaves): the whole family
 * is revoked, so the newest token of that login stops working too. There is no grace window.
 * The family row lock serialises concurrent uses of one token: exactly one of them wins.
 */
export async function refresh(ctx: AuthContext, input: { refreshToken: string }): Promise<TokenPair> {
  const token = requireToken(input.refreshToken, "refreshToken");
  if (!looksLikeSecretToken(token)) throw invalidRefreshToken();
  const hash = digestToken(token);

  const outcome = await ctx.sql.begin(async (tx): Promise<Outcome> => {
    const familyId = await ctx.refreshTokens.findFamilyId(hash, tx);
    if (!familyId) return { ok: false };
    const family = await ctx.refreshTokens.lockFamily(familyId, tx);
    if (!family || family.revoked || family.expired) return { ok: false };
    if (await ctx.refreshTokens.isRotated(hash, tx)) {
      await ctx.refreshTokens.revokeFamily(familyId, "reuse", tx);
      return { ok: false, reused: { familyId, userId: family.userId } };
    }
    const user: UserRow | undefined = await ctx.users.findById(family.userId, tx);
    if (!user) return { ok: false };
    await ctx.refreshTokens.markRotated(hash, tx);
    return { ok: true, pair: await continueSession(ctx, user, familyId, tx) };
  });

  ctx.metrics.refreshes.inc({ outcome: outcome.ok ? "success" : outcome.reused ? "reuse" : "invalid" });
  if (outcome.ok) return outcome.pair;
  if (outcome.reused) ctx.logger.warn(outcome.reused, "refresh token reused: login revoked");
  throw invalidRefreshToken();
}

function invalidRefreshToken(): AppError {
  return AppError.unauthenticated("invalid or expired refresh token");
}
