import type { AuthContext } from "./context.js";
import { invalidOneTimeToken } from "./invalid-token.js";
import { digestToken, looksLikeSecretToken } from "./secret-tokens.js";
import { requireNewPassword, requireToken } from "./validation.js";

/**
 * Sets a new password with a reset token (single use, unexpired). Every login of the user is
 * revoked, other outstanding reset links die, and any login lockout is lifted.
 */
export async function resetPassword(
  ctx: AuthContext,
  input: { token: string; password: string },
): Promise<void> {
  const token = requireToken(input.token);
  const password = requireNewPassword(input.password);
  if (!looksLikeSecretToken(token)) throw invalidOneTimeToken("reset");
  const hash = digestToken(token);
  // Checked before hashing so junk tokens cost no hashing work; `consume` below decides races.
  if (!(await ctx.oneTimeTokens.findUsable(hash, "reset_password"))) throw invalidOneTimeToken("reset");
  const passwordHash = await ctx.passwords.hash(password);

  const result = await ctx.sql.begin(async (tx) => {
    const userId = await ctx.oneTimeTokens.consume(hash, "reset_password", tx);
    if (!userId) return undefined;
    const user = await ctx.users.findById(userId, tx);
    if (!user) return undefined;
    await ctx.users.setPasswordHash(userId, passwordHash, tx);
    await ctx.oneTimeTokens.voidAllOfUser(userId, "reset_password", tx);
    const revoked = await ctx.refreshTokens.revokeAllOfUser(userId, "password_reset", tx);
    await ctx.loginFailures.clearEmail(user.email, tx);
    return { userId, revoked };
  });
  if (!result) throw invalidOneTimeToken("reset");
  ctx.logger.info(result, "password reset");
}
