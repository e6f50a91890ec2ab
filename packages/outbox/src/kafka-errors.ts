/**
 * Kafka error types caused by the message itself: retrying the same bytes cannot succeed, so
 * the row counts an attempt (and is parked eventually). Anything else — connection loss,
 * timeouts, leader elections — is the broker's state: back off and retry, never park.
 */
const ROW_ERROR_TYPES = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "INVALID_TOPIC_EXCEPTION",
  "TOPIC_AUTHORIZATION_FAILED",
  "INVALID_REQUIRED_ACKS",
  "UNSUPPORTED_FOR_MESSAGE_FORMAT",
]);

export function isRowError(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; current && depth < 5; depth++) {
    const e = current as { type?: string; cause?: unknown; originalError?: unknown };
    if (e.type && ROW_ERROR_TYPES.has(e.type)) return true;
    current = e.originalError ?? e.cause;
  }
  return false;
}
