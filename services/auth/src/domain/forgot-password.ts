import { createEvent } from "@shop/events";
import { createOneTimeTokenSeal } from "@shop/identity";
import type { AuthContext } from "./context.js";
import { digestToken, newSecretToken } from "./secret-tokens.js";
import { requireEmail } from "./validation.js";

/**
 * Starts a password reset. Succeeds whether or not the account exists (no enumeration) and does
 * the same work either way, so neither the answer nor its timing tells them apart: a token is
 * made and digested, and one transaction records the request and writes the token for the
 * account with that email (zero rows when there is none). Both commit a write, so both wait for
 * the same WAL flush. For an existing account PasswordResetRequested carries the single-use token
 * (at most 1 hour) to the notification service in that same transaction; the token and outbox
 * rows are all an unknown email does not get. The gateway limits requests per email and per IP.
 */
export async function forgotPassword(ctx: AuthContext, input: { email: string }): Promise<void> {
  const email = requireEmail(input.email);
  const resetToken = newSecretToken();
  const user = await ctx.sql.begin(async (tx) => {
    await ctx.resetRequests.record(digestToken(email), tx);
    const issued = await ctx.oneTimeTokens.insertForEmail(
      {
        hash: digestToken(resetToken),
        email,
        purpose: "reset_password",
        ttlSeconds: Math.min(ctx.settings.passwordResetTtlMinutes, 60) * 60,
      },
      tx,
    );
    if (!issued) return undefined;
    const { userId, expiresAt } = issued;
    const user = { id: userId, email };
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
    return user;
  });
  ctx.logger.info({ userId: user?.id }, "password reset requested");
}
