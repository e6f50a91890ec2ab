import { AppError } from "@shop/platform";
import type { AuthContext, AuthSettings } from "./context.js";

/**
 * Per-account brute-force brake (the gateway limits per IP and email on top). After
 * `loginMaxFailures` consecutive failures the account is locked for `loginLockoutBaseSeconds`,
 * doubling with every further failure up to `loginLockoutMaxSeconds`; a success clears it. Never
 * permanent, so an attacker cannot lock a victim out for long. Unknown emails are throttled the
 * same way, so the lockout does not reveal which accounts exist.
 */
export function lockoutSeconds(failures: number, s: AuthSettings): number {
  if (failures < s.loginMaxFailures) return 0;
  const doublings = Math.min(failures - s.loginMaxFailures, 30);
  return Math.min(s.loginLockoutMaxSeconds, s.loginLockoutBaseSeconds * 2 ** doublings);
}

/** The answer while an account is locked; `seconds` is what is left of the lockout. */
export function accountLocked(seconds: number): AppError {
  const retryAfter = Math.ceil(seconds);
  // The seconds are in the message too: gRPC carries the message but not `retryAfter`.
  return AppError.tooMany(`too many failed logins for this account; retry in ${retryAfter} s`, retryAfter);
}

/** Counts a failure and starts (or lengthens) the lockout; returns the streak length. */
export async function recordFailedLogin(ctx: AuthContext, email: string): Promise<number> {
  const failures = await ctx.loginFailures.recordFailure(email);
  const seconds = lockoutSeconds(failures, ctx.settings);
  if (seconds > 0) await ctx.loginFailures.lock(email, seconds);
  return failures;
}
