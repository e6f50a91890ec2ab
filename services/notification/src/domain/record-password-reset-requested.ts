import type { EventEnvelope } from "@shop/events";
import type { Queryable } from "@shop/platform";
import { emailDraft, type RecordDeps } from "./record-deps.js";
import { REDACTED_TOKEN, redactedLink } from "./reveal-one-time-token.js";

/**
 * Records the reset email, to the address the event names (the account's current one): its link
 * redacted, the token kept sealed beside it until the dispatcher sends it.
 */
export async function recordPasswordResetRequested(
  deps: RecordDeps,
  event: EventEnvelope<"PasswordResetRequested">,
  tx: Queryable,
): Promise<void> {
  const { userId, email, tokenJwe, expiresAt } = event.payload;
  const origin = { eventId: event.eventId, userId, type: "PASSWORD_RESET" as const, orderId: null };
  await deps.notifications.insertPending(
    [
      {
        ...emailDraft(deps.templates, origin, email, "password-reset", {
          link: redactedLink(deps.publicBaseUrl, "reset-password"),
          token: REDACTED_TOKEN,
          expiresAt: new Date(expiresAt).toUTCString(),
        }),
        sealedToken: tokenJwe,
      },
    ],
    tx,
  );
}
