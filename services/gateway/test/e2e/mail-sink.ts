import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The mail provider of the end-to-end stack: a minimal SMTP server on an ephemeral port that
 * keeps each accepted message as a file in `dir` (tests run in other processes than the global
 * setup that starts it). Only what nodemailer needs without TLS or authentication.
 */
export async function startMailSink() {
  const dir = mkdtempSync(join(tmpdir(), "shop-e2e-mail-"));
  mkdirSync(dir, { recursive: true });
  let count = 0;

  function serve(socket: Socket) {
    let buffer = "";
    let data: string[] | undefined;
    let to: string[] = [];
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply("220 shop-e2e-mail ESMTP");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (let end = buffer.indexOf("\r\n"); end >= 0; end = buffer.indexOf("\r\n")) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data) {
          if (line === ".") {
            writeFileSync(join(dir, `${++count}.eml`), `X-Rcpt-To: ${to.join(",")}\r\n${data.join("\r\n")}`);
            data = undefined;
            to = [];
            reply("250 queued");
          } else data.push(line.startsWith("..") ? line.slice(1) : line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO" || verb === "HELO") reply("250 shop-e2e-mail");
        else if (verb === "RCPT") {
          to.push(/<([^>]*)>/.exec(line)?.[1] ?? "");
          reply("250 ok");
        } else if (verb === "DATA") {
          data = [];
          reply("354 end with <CRLF>.<CRLF>");
        } else if (verb === "QUIT") {
          reply("221 bye");
          socket.end();
        } else reply("250 ok"); // MAIL, RSET, NOOP
      }
    });
    socket.on("error", () => {});
  }

  const server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    dir,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The messages the sink accepted for `address`, oldest first, quoted-printable undone. */
export function mailTo(dir: string, address: string): string[] {
  return readdirSync(dir)
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
    .map((file) => readFileSync(join(dir, file), "utf8"))
    .filter((mail) => mail.split("\r\n", 1)[0]!.slice("X-Rcpt-To: ".length).split(",").includes(address))
    .map((mail) =>
      mail
        .replace(/=\r\n/g, "")
        .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    );
}
