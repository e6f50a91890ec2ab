import { AppError } from "@shop/platform";
import { type AuthContext, type PublicUser, toPublicUser } from "./context.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The account behind an `authorization: Bearer <access token>` value, verified with our own keys. */
export async function getMe(ctx: AuthContext, authorization: string | undefined): Promise<PublicUser> {
  const identity = await ctx.verifier.verify(authorization);
  const user = UUID.test(identity.userId) ? await ctx.users.findById(identity.userId) : undefined;
  if (!user) throw AppError.unauthenticated("the account no longer exists");
  return toPublicUser(user);
}
