import { createEvent } from "@shop/events";
import type { AuthContext } from "./context.js";
import { requireEmail, requireNewPassword } from "./validation.js";

/**
 * Makes ADMIN_EMAIL an admin at start: creates it (email verified, with ADMIN_PASSWORD) or
 * promotes the existing account (its password is left as it is). Idempotent; UserRegistered is
 * emitted only when the account is created.
 */
export async function bootstrapAdmin(
  ctx: AuthContext,
  input: { email: string; password: string },
): Promise<{ userId: string; outcome: "created" | "promoted" | "unchanged" }> {
  const email = requireEmail(input.email);
  const existing = await ctx.users.findByEmail(email);
  if (existing?.role === "admin") return { userId: existing.id, outcome: "unchanged" };
  // Only a new account needs the hash; on promotion the stored one is kept.
  const passwordHash =
    existing?.passwordHash ?? (await ctx.passwords.hash(requireNewPassword(input.password)));

  const user = await ctx.sql.begin(async (tx) => {
    const user = await ctx.users.upsertAdmin({ email, passwordHash }, tx);
    if (user.created) {
      await ctx.outbox.enqueue(
        tx,
        createEvent("UserRegistered", user.id, { userId: user.id, email: user.email, role: "admin" }),
      );
    }
    return user;
  });
  const outcome = user.created ? "created" : "promoted";
  ctx.logger.info({ userId: user.id, outcome }, "admin account ensured");
  return { userId: user.id, outcome };
}
