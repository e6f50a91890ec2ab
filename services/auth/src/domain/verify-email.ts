import type { AuthContext } from "./context.js";
import { invalidOneTimeToken } from "./invalid-token.js";
import { digestToken, looksLikeSecretToken } from "./secret-tokens.js";
import { requireToken } from "./validation.js";

/** Uses the token from the welcome email (once) and marks that account's email verified. */
export async function verifyEmail(ctx: AuthContext, input: { token: string }): Promise<void> {
  const token = requireToken(input.token);
  if (!looksLikeSecretToken(token)) throw invalidOneTimeToken("verification");
  const userId = await ctx.sql.begin(async (tx) => {
    const userId = await ctx.oneTimeTokens.consume(digestToken(token), "verify_email", tx);
    if (userId) await ctx.users.markEmailVerified(userId, tx);
    return userId;
  });
  if (!userId) throw invalidOneTimeToken("verification");
  ctx.logger.info({ userId }, "email verified");
}
