import type { EventEnvelope } from "@shop/events";
import type { Queryable } from "@shop/platform";
import { emailDraft, type RecordDeps, tokenLink } from "./record-deps.js";

/**
 * A new account: remember where its messages go (the recipients projection) and, unless the
 * account was created already verified, record the verification email.
 */
export async function recordUserRegistered(
  deps: RecordDeps,
  event: EventEnvelope<"UserRegistered">,
  tx: Queryable,
): Promise<void> {
  const { userId, email, verificationToken } = event.payload;
  await deps.recipients.saveEmail(userId, email, tx);
  if (!verificationToken) return;
  const origin = { eventId: event.eventId, userId, type: "VERIFY_EMAIL" as const, orderId: null };
  await deps.notifications.insertPending(
    [
      emailDraft(deps.templates, origin, email, "verify-email", {
        link: tokenLink(deps.publicBaseUrl, "verify-email", verificationToken),
        token: verificationToken,
      }),
    ],
    tx,
  );
}
