import type { EventEnvelope } from "@shop/events";
import type { Queryable } from "@shop/platform";
import { emailDraft, type RecordDeps, tokenLink } from "./record-deps.js";

/** Records the reset email, to the address the event names (the account's current one). */
export async function recordPasswordResetRequested(
  deps: RecordDeps,
  event: EventEnvelope<"PasswordResetRequested">,
  tx: Queryable,
): Promise<void> {
  const { userId, email, resetToken, expiresAt } = event.payload;
  const origin = { eventId: event.eventId, userId, type: "PASSWORD_RESET" as const, orderId: null };
  await deps.notifications.insertPending(
    [
      emailDraft(deps.templates, origin, email, "password-reset", {
        link: tokenLink(deps.publicBaseUrl, "reset-password", resetToken),
        token: resetToken,
        expiresAt: new Date(expiresAt).toUTCString(),
      }),
    ],
    tx,
  );
}
