import type { AuthContext } from "./context.js";
import { digestToken, looksLikeSecretToken } from "./secret-tokens.js";
import { requireToken } from "./validation.js";

/**
 * Ends the login the refresh token belongs to: every token of its family stops working.
 * Idempotent: an unknown or already revoked token is not an error (nothing is left to end).
 */
export async function logout(ctx: AuthContext, input: { refreshToken: string }): Promise<void> {
  const token = requireToken(input.refreshToken, "refreshToken");
  if (!looksLikeSecretToken(token)) return;
  const hash = digestToken(token);
  await ctx.sql.begin(async (tx) => {
    const familyId = await ctx.refreshTokens.findFamilyId(hash, tx);
    if (!familyId) return;
    await ctx.refreshTokens.lockFamily(familyId, tx);
    await ctx.refreshTokens.revokeFamily(familyId, "logout", tx);
  });
}
