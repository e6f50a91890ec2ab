import { createEvent } from "@shop/events";
import type { AuthContext } from "./context.js";
import { requireEmail, requireNewPassword } from "./validation.js";

/**
 * Makes ADMIN_EMAIL an admin at start: creates it (email verified, with ADMIN_PASSWORD) or
 * promotes the existing account. Promotion never hands admin rights to a password the operator
 * did not set: whoever registered the address first (perhaps not its owner) loses the account's
 * password, logins and outstanding one-time tokens, all in the transaction that promotes it.
 * Idempotent: an account that is already admin is left as it is. UserRegistered is emitted only
 * when the account is created.
 */
export async function bootstrapAdmin(
  ctx: AuthContext,
  input: { email: string; password: string },
): Promise<{ userId: string; outcome: "created" | "promoted" | "unchanged" }> {
  const email = requireEmail(input.email);
  const existing = await ctx.users.findByEmail(email);
  if (existing?.role === "admin") return { userId: existing.id, outcome: "unchanged" };
  const passwordHash = await ctx.passwords.hash(requireNewPassword(input.password));

  const result = await ctx.sql.begin(async (tx) => {
    const user = await ctx.users.upsertAdmin({ email, passwordHash }, tx);
    // Another instance made it admin between our read and this write: nothing left to do.
    if (!user) return { userId: (await ctx.users.findByEmail(email, tx))!.id, outcome: "unchanged" as const };
    if (user.created) {
      await ctx.outbox.enqueue(
        tx,
        createEvent("UserRegistered", user.id, { userId: user.id, email: user.email, role: "admin" }),
      );
      return { userId: user.id, outcome: "created" as const };
    }
    const revokedLogins = await ctx.refreshTokens.revokeAllOfUser(user.id, "admin_bootstrap", tx);
    await ctx.oneTimeTokens.voidAllOfUser(user.id, "reset_password", tx);
    await ctx.oneTimeTokens.voidAllOfUser(user.id, "verify_email", tx);
    return { userId: user.id, outcome: "promoted" as const, revokedLogins };
  });

  if (result.outcome === "promoted") {
    ctx.logger.warn(
      result,
      "ADMIN_EMAIL belonged to an existing account: promoted to admin with ADMIN_PASSWORD as its password, its email marked verified, its logins and one-time tokens revoked",
    );
  } else if (result.outcome === "created") {
    ctx.logger.info(result, "admin account created");
  }
  return { userId: result.userId, outcome: result.outcome };
}
