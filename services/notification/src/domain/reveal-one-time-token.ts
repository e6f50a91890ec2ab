import type { OneTimeTokenPurpose, OneTimeTokenSeal } from "@shop/identity";
import type { Notification, NotificationType } from "../data-access/notification-repository.js";
import { PermanentSendError } from "../transports/transport.js";
import { escapeHtml } from "./render-template.js";

/**
 * What stands for a one-time token in every stored message and log line. The token itself
 * exists in this service only while a message is handed to the transport that delivers it.
 */
export const REDACTED_TOKEN = "[redacted]";

const PURPOSES: Partial<Record<NotificationType, OneTimeTokenPurpose>> = {
  VERIFY_EMAIL: "verify_email",
  PASSWORD_RESET: "reset_password",
};

/** `<base>/<path>?token=[redacted]`: the link as it is stored, shown in the feed and logged. */
export function redactedLink(publicBaseUrl: string, path: string): string {
  return `${publicBaseUrl.replace(/\/+$/, "")}/${path}?token=${REDACTED_TOKEN}`;
}

export interface RevealedMessage {
  subject: string;
  text: string;
  html: string | null;
}

/**
 * The message with its sealed token opened and put in place of the redaction, for sending only.
 * The JWE must have been sealed for this row's user, address and purpose and not have expired;
 * otherwise no retry can help, so the send fails for good.
 */
export async function revealOneTimeToken(
  seal: OneTimeTokenSeal,
  row: Notification & { recipient: string; sealedToken: string },
): Promise<RevealedMessage> {
  const purpose = PURPOSES[row.type];
  if (!purpose) throw new PermanentSendError(`a ${row.type} message carries no one-time token`);
  let token: string;
  try {
    token = await seal.open(row.sealedToken, { purpose, userId: row.userId, email: row.recipient });
  } catch (err) {
    throw new PermanentSendError(`the one-time token does not open: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // Tokens are URL-safe already; encoding guards the link should that ever change.
  const inLink = encodeURIComponent(token);
  const reveal = (s: string, encode: (v: string) => string = (v) => v) =>
    s.replaceAll(REDACTED_TOKEN, encode(inLink));
  return {
    subject: reveal(row.subject),
    text: reveal(row.body),
    html: row.bodyHtml === null ? null : reveal(row.bodyHtml, escapeHtml),
  };
}
