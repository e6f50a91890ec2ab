import type { EventEnvelope } from "@shop/events";
import type { Queryable } from "@shop/platform";
import { emailDraft, type RecordDeps } from "./record-deps.js";
import { REDACTED_TOKEN, redactedLink } from "./reveal-one-time-token.js";

/**
 * A new account: remember where its messages go (the recipients projection) and, unless the
 * account was created already verified, record the verification email: its link redacted, the
 * token kept sealed beside it until the dispatcher sends it.
 */
export async function recordUserRegistered(
  deps: RecordDeps,
  event: EventEnvelope<"UserRegistered">,
  tx: Queryable,
): Promise<void> {
  const { userId, email, tokenJwe } = event.payload;
  await deps.recipients.saveEmail(userId, email, tx);
  if (!tokenJwe) return;
  const origin = { eventId: event.eventId, userId, type: "VERIFY_EMAIL" as const, orderId: null };
  await deps.notifications.insertPending(
    [
      {
        ...emailDraft(deps.templates, origin, email, "verify-email", {
          link: redactedLink(deps.publicBaseUrl, "verify-email"),
          token: REDACTED_TOKEN,
        }),
        sealedToken: tokenJwe,
      },
    ],
    tx,
  );
}
