import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw message with quoted-printable soft breaks and escapes undone, for `toContain`. */
  content: string;
  subject: string;
  /** Whether the session had been upgraded to TLS. */
  secure: boolean;
}

/**
 * A real SMTP server on an ephemeral port standing in for the mail provider. Messages to a
 * recipient that `rejects` matches are refused with 550 (every attempt is counted).
 */
export async function startSmtpPeer(
  opts: {
    rejects?: (to: string) => boolean;
    port?: number;
    /** Accepting a message takes this long. */
    delayMs?: number;
    /** Offer STARTTLS with smtp-server's own self-signed certificate. */
    startTls?: boolean;
  } = {},
) {
  const received: ReceivedMail[] = [];
  const rejected: string[] = [];
  /** Messages whose data started arriving (accepted or not yet). */
  let started = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: opts.startTls ? [] : ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      started++;
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
        const to = session.envelope.rcptTo.map((a) => a.address);
        if (to.some((address) => opts.rejects?.(address))) {
          rejected.push(...to);
          const err = Object.assign(new Error("mailbox unavailable"), { responseCode: 550 });
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        received.push({
          from,
          to,
          content: decodeQuotedPrintable(raw),
          subject: headerOf(raw, "subject"),
          secure: session.secure,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    rejected,
    started: () => started,
    to: (address: string) => received.filter((m) => m.to.includes(address)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpPeer = Awaited<ReturnType<typeof startSmtpPeer>>;

/** Undoes quoted-printable (soft breaks, =XX bytes) and reads the bytes as UTF-8. */
function decodeQuotedPrintable(raw: string): string {
  return decodeURIComponent(
    raw
      .replace(/=\r?\n/g, "")
      .replace(/%/g, "%25")
      .replace(/=([0-9A-F]{2})/g, "%$1"),
  );
}

function headerOf(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? "";
  const unfolded = head.replace(/\r?\n[ \t]+/g, " ");
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line ? line.slice(name.length + 1).trim() : "";
}
