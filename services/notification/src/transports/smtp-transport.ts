import nodemailer from "nodemailer";
import type { OutgoingMessage, Transport } from "./transport.js";

export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the first byte (465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user: string;
  password: string;
  from: string;
  timeoutMs: number;
}

/** Email over SMTP with nodemailer; every phase of a send is bounded by `timeoutMs`. */
export function createSmtpTransport(settings: SmtpSettings): Transport {
  const transporter = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ...(settings.user ? { auth: { user: settings.user, pass: settings.password } } : {}),
    // Certificates are checked for any remote server. A relay on this machine (a local MTA or
    // mail catcher) typically has a self-signed one, and loopback traffic never leaves the host.
    tls: { rejectUnauthorized: !isLoopback(settings.host) },
    connectionTimeout: settings.timeoutMs,
    greetingTimeout: settings.timeoutMs,
    socketTimeout: settings.timeoutMs,
  });
  return {
    name: "smtp",
    async send(message: OutgoingMessage) {
      await transporter.sendMail({
        from: settings.from,
        to: message.recipient,
        subject: message.subject,
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
      });
    },
    close: () => transporter.close(),
  };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
