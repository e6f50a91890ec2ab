import { createServer, type Server } from "node:http";

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
}

const toHex = (id: string | undefined) =>
  !id ? "" : /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, "base64").toString("hex");

/**
 * A local OTLP/HTTP (JSON) trace receiver standing in for Jaeger: services export to
 * `POST /v1/traces`; tests read what arrived with `GET /spans?traceId=...`.
 */
export async function startOtlpReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/v1/traces") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          for (const rs of body.resourceSpans ?? []) {
            const service =
              rs.resource?.attributes?.find((a: { key: string }) => a.key === "service.name")?.value
                ?.stringValue ?? "?";
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) {
                spans.push({
                  service,
                  traceId: toHex(s.traceId),
                  spanId: toHex(s.spanId),
                  parentSpanId: toHex(s.parentSpanId),
                  name: s.name,
                });
              }
            }
          }
          res.writeHead(200, { "content-type": "application/json" }).end("{}");
        } catch {
          res.writeHead(400).end();
        }
      });
      return;
    }
    if (req.method === "GET" && req.url?.startsWith("/spans")) {
      const traceId = new URL(req.url, "http://x").searchParams.get("traceId");
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(spans.filter((s) => !traceId || s.traceId === traceId)));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
