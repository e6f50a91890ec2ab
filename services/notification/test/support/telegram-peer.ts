import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface TelegramCall {
  token: string;
  chatId: string;
  text: string;
}

/**
 * A local HTTP server standing in for the Telegram Bot API. `answer` picks the status per call
 * (default 200); every call is recorded, successful or not.
 */
export async function startTelegramPeer(opts: { answer?: (call: TelegramCall) => number } = {}) {
  const calls: TelegramCall[] = [];
  const server = createServer(async (req, res) => {
    const match = /^\/bot([^/]+)\/sendMessage$/.exec(req.url ?? "");
    if (req.method !== "POST" || !match) {
      res
        .writeHead(404, { "content-type": "application/json" })
        .end('{"ok":false,"description":"Not Found"}');
      return;
    }
    const body = JSON.parse(await readBody(req)) as { chat_id: string | number; text: string };
    const call = { token: match[1]!, chatId: String(body.chat_id), text: body.text };
    calls.push(call);
    const status = opts.answer?.(call) ?? 200;
    const reply =
      status === 200
        ? {
            ok: true,
            result: { message_id: calls.length, chat: { id: Number(call.chatId) }, text: call.text },
          }
        : {
            ok: false,
            error_code: status,
            description: status >= 500 ? "Internal Server Error" : "Bad Request: chat not found",
          };
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(reply));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    to: (chatId: string) => calls.filter((c) => c.chatId === chatId),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type TelegramPeer = Awaited<ReturnType<typeof startTelegramPeer>>;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
