import { createEvent } from "@shop/events";
import { createOneTimeTokenSeal } from "@shop/identity";
import { AppError } from "@shop/platform";
import { type AuthContext, type PublicUser, toPublicUser } from "./context.js";
import { digestToken, newSecretToken } from "./secret-tokens.js";
import { requireEmail, requireNewPassword } from "./validation.js";

/**
 * A new customer account. The user row, its email-verification token and the UserRegistered
 * event (which makes the notification service mail the token) commit together or not at all.
 */
export async function register(
  ctx: AuthContext,
  input: { email: string; password: string },
): Promise<PublicUser> {
  const email = requireEmail(input.email);
  const password = requireNewPassword(input.password);
  // Checked first so a duplicate costs no hashing work; the unique index still decides races.
  if (await ctx.users.findByEmail(email)) throw emailTaken();
  const passwordHash = await ctx.passwords.hash(password);
  const verificationToken = newSecretToken();

  const user = await ctx.sql.begin(async (tx) => {
    const user = await ctx.users.insert({ email, passwordHash, role: "customer", emailVerified: false }, tx);
    if (!user) throw emailTaken();
    const expiresAt = await ctx.oneTimeTokens.insert(
      {
        hash: digestToken(verificationToken),
        userId: user.id,
        purpose: "verify_email",
        ttlSeconds: ctx.settings.emailVerificationTtlHours * 3600,
      },
      tx,
    );
    await ctx.outbox.enqueue(
      tx,
      createEvent("UserRegistered", user.id, {
        userId: user.id,
        email: user.email,
        role: user.role,
        tokenJwe: await createOneTimeTokenSeal(ctx.settings.oneTimeTokenKey).seal({
          token: verificationToken,
          purpose: "verify_email",
          userId: user.id,
          email: user.email,
          expiresAt,
        }),
      }),
    );
    return user;
  });
  ctx.metrics.registrations.inc();
  ctx.logger.info({ userId: user.id }, "user registered");
  return toPublicUser(user);
}

function emailTaken(): AppError {
  return AppError.conflict("email is already registered", "EMAIL_TAKEN");
}
