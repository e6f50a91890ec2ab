import type { Channel } from "../data-access/notification-repository.js";

/** One message as a transport sends it. */
export interface OutgoingMessage {
  channel: Channel;
  /** An email address, or a Telegram chat id. */
  recipient: string;
  subject: string;
  text: string;
  html: string | null;
}

export interface Transport {
  /** For logs: smtp, telegram, log. */
  name: string;
  /**
   * True for a transport that writes messages where others read them (the service log): it gets
   * the message as stored, one-time links redacted, never the token.
   */
  receivesRedacted?: boolean;
  /** Resolves once the peer accepted the message; rejects otherwise. */
  send(message: OutgoingMessage): Promise<void>;
  close?(): void;
}

/** The email transport always exists; without a Telegram transport no Telegram rows are made. */
export interface Transports {
  email: Transport;
  telegram?: Transport | undefined;
}

/** A refusal that no retry can fix (e.g. Telegram: chat not found): fail at once. */
export class PermanentSendError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PermanentSendError";
  }
}
