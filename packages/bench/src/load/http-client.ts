import { Pool } from "undici";

export interface Reply<T = unknown> {
  status: number;
  body: T;
}

export interface HttpClientOptions {
  /** Keep-alive connections to the origin; requests beyond them queue in the client. */
  connections: number;
  /** A request without a complete response after this long counts as a timeout. */
  timeoutMs: number;
}

/** Raised for a request that ran past its timeout, so the load loops can count timeouts apart. */
export class RequestTimeout extends Error {}

/**
 * A keep-alive JSON client of one origin (undici Pool). The load loops share it, so the cost
 * of connecting is paid once, as a front end or a load balancer would.
 */
export function createHttpClient(origin: string, opts: HttpClientOptions) {
  const pool = new Pool(origin, {
    connections: opts.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });

  async function request<T = unknown>(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    path: string,
    init: { token?: string; body?: unknown } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    // Not AbortSignal.timeout: its timer outlives the request and, when it fires, builds a
    // DOMException with a stack trace, for every request ever sent; at the read path's tens of
    // thousands of requests a second that was load generator CPU taken from the server measured.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), opts.timeoutMs);
    try {
      const res = await pool.request({
        method,
        path,
        headers,
        body: init.body === undefined ? null : JSON.stringify(init.body),
        signal: abort.signal,
      });
      const text = await res.body.text();
      let body: unknown = text;
      if (text && String(res.headers["content-type"] ?? "").includes("json")) body = JSON.parse(text);
      return { status: res.statusCode, body: body as T };
    } catch (err) {
      const name = (err as Error).name;
      const code = (err as { code?: string }).code ?? "";
      if (name === "TimeoutError" || name === "AbortError" || code.includes("TIMEOUT")) {
        throw new RequestTimeout(`${method} ${path} timed out after ${opts.timeoutMs} ms`);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  return { request, close: () => pool.close() };
}

export type HttpClient = ReturnType<typeof createHttpClient>;
