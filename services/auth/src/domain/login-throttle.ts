import { AppError } from "@shop/platform";
import type { StreakScope, ThrottleState } from "../data-access/login-failures-repository.js";
import type { AuthContext, AuthSettings } from "./context.js";

/**
 * Brute-force brakes that an attacker cannot turn against the account's owner. Failures are
 * counted in three streaks, each locked for `loginLockoutBaseSeconds` once it reaches its limit and
 * doubling with every further failure up to `loginLockoutMaxSeconds`:
 * - `pair`, this email from this client address (`loginMaxFailures`): guessing at one account from
 *   one address. A success ends it.
 * - `address`, this client address across emails (`loginAddressMaxFailures`): password spraying.
 *   A success does not end it (the sprayer may own an account).
 * - `account`, this email from any address (`loginAccountMaxFailures`): distributed guessing.
 *   While it is locked, only addresses with failures of their own at this account are refused; an
 *   address that has not been failing is always heard, so the right password from it always
 *   works, and each attacking address gets a single guess until the account calms down.
 * Unknown emails are throttled exactly like real accounts, so the answers reveal no accounts.
 */
export function lockoutSeconds(failures: number, limit: number, s: AuthSettings): number {
  if (failures < limit) return 0;
  const doublings = Math.min(failures - limit, 30);
  return Math.min(s.loginLockoutMaxSeconds, s.loginLockoutBaseSeconds * 2 ** doublings);
}

function limitOf(scope: StreakScope, s: AuthSettings): number {
  if (scope === "pair") return s.loginMaxFailures;
  return scope === "address" ? s.loginAddressMaxFailures : s.loginAccountMaxFailures;
}

/** Seconds this attempt must wait before it is heard (0: check the password now). */
export function refusedForSeconds(state: ThrottleState): number {
  const account = state.pair.failures > 0 ? state.account.lockedForSeconds : 0;
  return Math.max(state.pair.lockedForSeconds, state.address.lockedForSeconds, account);
}

/** The answer to a refused attempt; `seconds` is what is left of the lockout. */
export function loginRefused(seconds: number): AppError {
  const retryAfter = Math.ceil(seconds);
  // One message whichever streak refused; the seconds are in it too, as gRPC drops `retryAfter`.
  return AppError.tooMany(`too many failed logins; retry in ${retryAfter} s`, retryAfter);
}

/** Counts a failure in all three streaks and starts (or lengthens) their lockouts. */
export async function recordFailedLogin(
  ctx: AuthContext,
  email: string,
  address: string,
): Promise<Record<StreakScope, number>> {
  const failures = await ctx.loginFailures.recordFailure(email, address);
  for (const scope of ["pair", "account", "address"] as const) {
    const seconds = lockoutSeconds(failures[scope], limitOf(scope, ctx.settings), ctx.settings);
    if (seconds > 0) await ctx.loginFailures.lock(scope, email, address, seconds);
  }
  return failures;
}
