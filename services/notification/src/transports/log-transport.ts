import type { Logger } from "@shop/platform";
import type { OutgoingMessage, Transport } from "./transport.js";

/**
 * Writes the message to the service log instead of sending it: the default when no SMTP server
 * or bot token is configured, so the whole flow is visible without any account. Log lines travel
 * far (files, shippers), so one-time links arrive here redacted.
 */
export function createLogTransport(logger: Logger): Transport {
  const log = logger.child({ transport: "log" });
  return {
    name: "log",
    receivesRedacted: true,
    async send(message: OutgoingMessage) {
      log.info(
        { channel: message.channel, to: message.recipient, subject: message.subject, body: message.text },
        "notification written to the log (no real transport configured)",
      );
    },
  };
}
