import { createEvent } from "@shop/events";
import { createOneTimeTokenSeal } from "@shop/identity";
import type { AuthContext } from "./context.js";
import { digestToken, newSecretToken } from "./secret-tokens.js";
import { requireEmail } from "./validation.js";

/**
 * Starts a password reset. Succeeds whether or not the account exists (no enumeration); when it
 * does, a single-use token (at most 1 hour) is stored and PasswordResetRequested carries it to
 * the notification service in the same transaction.
 */
export async function forgotPassword(ctx: AuthContext, input: { email: string }): Promise<void> {
  const email = requireEmail(input.email);
  const user = await ctx.users.findByEmail(email);
  if (!user) return;
  const resetToken = newSecretToken();
  await ctx.sql.begin(async (tx) => {
    const expiresAt = await ctx.oneTimeTokens.insert(
      {
        hash: digestToken(resetToken),
        userId: user.id,
        purpose: "reset_password",
        ttlSeconds: Math.min(ctx.settings.passwordResetTtlMinutes, 60) * 60,
      },
      tx,
    );
    await ctx.outbox.enqueue(
      tx,
      createEvent("PasswordResetRequested", user.id, {
        userId: user.id,
        email: user.email,
        tokenJwe: await createOneTimeTokenSeal(ctx.settings.oneTimeTokenKey).seal({
          token: resetToken,
          purpose: "reset_password",
          userId: user.id,
          email: user.email,
          expiresAt,
        }),
        expiresAt: expiresAt.toISOString(),
      }),
    );
  });
  ctx.logger.info({ userId: user.id }, "password reset requested");
}
