import { isAppError } from "@shop/platform";

/** PostgreSQL errors worth another try: serialization failures, deadlocks, lost connections. */
const TRANSIENT_PG = /^(40001|40P01|57P01|57P02|57P03|08\d{3}|53\d{3})$/;

/**
 * Whether a failed handler should run again. Our own AppErrors say so themselves (a NOT_FOUND or
 * a validation error will not change on retry); database errors are transient only for the
 * codes above; anything else unknown is retried, bounded by the attempt limit.
 */
export function isRetryable(err: unknown): boolean {
  if (isAppError(err)) return err.retryable;
  const code = (err as { code?: string }).code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_PG.test(code);
  return true;
}

/** Exponential backoff with full jitter. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
