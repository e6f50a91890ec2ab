import { type OutgoingMessage, PermanentSendError, type Transport } from "./transport.js";

export interface TelegramSettings {
  /** e.g. https://api.telegram.org */
  apiBaseUrl: string;
  botToken: string;
  timeoutMs: number;
}

/** Statuses that mean the chat cannot receive from this bot (unknown chat, bot blocked). */
const PERMANENT = new Set([400, 403]);

/** Telegram through the Bot API's sendMessage, with Node's fetch and a timeout. */
export function createTelegramTransport(settings: TelegramSettings): Transport {
  const endpoint = `${settings.apiBaseUrl.replace(/\/+$/, "")}/bot${settings.botToken}/sendMessage`;
  return {
    name: "telegram",
    async send(message: OutgoingMessage) {
      const res = await fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          chat_id: message.recipient,
          text: message.text,
          link_preview_options: { is_disabled: true },
        }),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      if (res.ok) {
        await res.body?.cancel();
        return;
      }
      // The error text is stored and logged: it names the status and Telegram's description, never the URL (it holds the token).
      const description = await readDescription(res);
      const text = `telegram sendMessage: HTTP ${res.status}${description ? ` ${description}` : ""}`;
      throw PERMANENT.has(res.status) ? new PermanentSendError(text) : new Error(text);
    },
  };
}

async function readDescription(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { description?: unknown };
    return typeof body.description === "string" ? body.description.slice(0, 300) : "";
  } catch {
    return "";
  }
}
