import type { AuthContext } from "./context.js";

/** Rows past their use are kept this long (for investigating an incident), then deleted. */
const GRACE_DAYS = 7;

/**
 * Deletes what can no longer be used: ended logins (and their rotated tokens), used or expired
 * one-time tokens, stale login-failure streaks, week-old password-reset requests. Presenting a deleted token is refused just like
 * a dead one (unknown token), so purging changes no answer.
 */
export async function purgeExpired(ctx: AuthContext) {
  return {
    refreshFamilies: await ctx.refreshTokens.purgeEnded(GRACE_DAYS),
    oneTimeTokens: await ctx.oneTimeTokens.purgeDead(GRACE_DAYS),
    loginFailures: await ctx.loginFailures.purgeStale(),
    resetRequests: await ctx.resetRequests.purgeOlderThan(GRACE_DAYS),
  };
}
