import { randomBytes } from "node:crypto";

export interface Reply<T = any> {
  status: number;
  body: T;
}

/** What a failed request looks like from the client: an HTTP status, or no answer at all. */
export type ClientFailure = { status: number } | { network: string };

export interface Customer {
  id: string;
  email: string;
  token: string;
}

const uid = () => randomBytes(6).toString("hex");

/** A small client of the public HTTP API, as a shop's front end would use it. */
export function createApiClient(baseUrl: string, timeoutMs = 10_000) {
  async function call<T = any>(
    method: string,
    path: string,
    opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...opts.headers,
      },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: body as T };
  }

  async function login(email: string, password: string): Promise<string> {
    const res = await call("POST", "/api/v1/auth/login", { body: { email, password } });
    if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.accessToken as string;
  }

  async function signUp(): Promise<Customer> {
    const email = `chaos-${uid()}@shop.test`;
    const password = `pw-${uid()}-${uid()}`;
    const reg = await call("POST", "/api/v1/auth/register", { body: { email, password } });
    if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
    return { id: reg.body.id, email, token: await login(email, password) };
  }

  async function createProduct(adminToken: string, stock: number, priceCents: number) {
    const res = await call("POST", "/api/v1/products", {
      token: adminToken,
      body: { sku: `chaos-${uid()}`, name: `Chaos ${uid()}`, priceCents, stock },
    });
    if (res.status !== 201) throw new Error(`create product: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; stock: number };
  }

  /** Places an order; a failure is returned, not thrown, because under faults it is expected. */
  async function placeOrder(
    token: string,
    items: { productId: string; quantity: number }[],
    idempotencyKey?: string,
  ): Promise<{ id: number; status: number } | ClientFailure> {
    try {
      const res = await call("POST", "/api/v1/orders", {
        token,
        body: { items },
        ...(idempotencyKey ? { headers: { "idempotency-key": idempotencyKey } } : {}),
      });
      if (res.status === 200 || res.status === 201 || res.status === 202)
        return { id: Number(res.body.id), status: res.status };
      return { status: res.status };
    } catch (err) {
      return { network: (err as Error).name === "TimeoutError" ? "timeout" : "unreachable" };
    }
  }

  return { call, login, signUp, createProduct, placeOrder };
}

export type ApiClient = ReturnType<typeof createApiClient>;
