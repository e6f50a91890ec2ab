import { AppError } from "@shop/platform";
import { clientAddressKey } from "./client-address.js";
import type { AuthContext } from "./context.js";
import { loginRefused, recordFailedLogin, refusedForSeconds } from "./login-throttle.js";
import { startSession, type TokenPair } from "./session.js";
import { requireEmail, requirePresentedPassword } from "./validation.js";

/** One message for unknown email and wrong password, so the answer reveals no account. */
export const INVALID_CREDENTIALS = "invalid email or password";

/**
 * `clientIp` is the end client's address as the gateway saw it; login limits are per address
 * (see login-throttle.ts), and callers that leave it out share one bucket.
 */
export async function login(
  ctx: AuthContext,
  input: { email: string; password: string; clientIp?: string },
): Promise<TokenPair> {
  const email = requireEmail(input.email);
  const password = requirePresentedPassword(input.password);
  const address = clientAddressKey(input.clientIp);
  // A refused attempt costs no hashing work and is not counted as another failure.
  const waitSeconds = refusedForSeconds(await ctx.loginFailures.read(email, address));
  if (waitSeconds > 0) {
    ctx.metrics.logins.inc({ outcome: "locked" });
    throw loginRefused(waitSeconds);
  }

  const user = await ctx.users.findByEmail(email);
  // An unknown email still pays for one hash verification, so timing does not tell the two apart.
  const ok = user
    ? await ctx.passwords.verify(password, user.passwordHash)
    : await ctx.passwords.verifyDummy(password);
  if (!user || !ok) {
    ctx.metrics.logins.inc({ outcome: "invalid" });
    const failures = await recordFailedLogin(ctx, email, address);
    ctx.logger.info({ userId: user?.id, clientAddress: address, failures }, "login failed");
    throw AppError.unauthenticated(INVALID_CREDENTIALS);
  }

  const pair = await ctx.sql.begin(async (tx) => {
    await ctx.loginFailures.clearPair(email, address, tx);
    return startSession(ctx, user, tx);
  });
  ctx.metrics.logins.inc({ outcome: "success" });
  await upgradeHashIfStale(ctx, user.id, user.passwordHash, password);
  ctx.logger.info({ userId: user.id }, "logged in");
  return pair;
}

/** Rehashes with the current parameters after a successful login; the login stands even if this fails. */
async function upgradeHashIfStale(ctx: AuthContext, userId: string, stored: string, password: string) {
  if (!ctx.passwords.needsRehash(stored)) return;
  try {
    await ctx.users.setPasswordHash(userId, await ctx.passwords.hash(password));
  } catch (err) {
    ctx.logger.warn({ err, userId }, "password rehash failed");
  }
}
