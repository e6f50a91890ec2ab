import { uid } from "@shop/testkit";
import { inject } from "vitest";

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small HTTP client of the public API, as a shop's front end would use it. */
export async function call<T = any>(
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const res = await fetch(`${inject("gatewayUrl")}${path}`, {
    method,
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
  return { status: res.status, body: body as T, headers: res.headers };
}

export async function signUp(): Promise<{ id: string; email: string; token: string }> {
  const email = `c-${uid()}@shop.test`;
  const password = `pw-${uid()}`;
  const reg = await call("POST", "/api/v1/auth/register", { body: { email, password } });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await call("POST", "/api/v1/auth/login", { body: { email, password } });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  return { id: reg.body.id, email, token: login.body.accessToken };
}

let adminToken: Promise<string> | undefined;
export function admin(): Promise<string> {
  adminToken ??= call("POST", "/api/v1/auth/login", { body: inject("admin") }).then((r) => {
    if (r.status !== 200) throw new Error(`admin login: ${r.status}`);
    return r.body.accessToken as string;
  });
  return adminToken;
}

export async function createProduct(stock: number, priceCents = 1_000) {
  const res = await call("POST", "/api/v1/products", {
    token: await admin(),
    body: { sku: `sku-${uid()}`, name: `Product ${uid()}`, priceCents, stock },
  });
  if (res.status !== 201) throw new Error(`create product: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; stock: number; version: number };
}

export async function placeOrder(
  token: string,
  items: { productId: string; quantity: number }[],
  key?: string,
) {
  return call("POST", "/api/v1/orders", {
    token,
    body: { items },
    ...(key ? { headers: { "idempotency-key": key } } : {}),
  });
}

/** Polls the order as a client would until it reaches PAID or CANCELLED. */
export async function settled(token: string, id: number, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call("GET", `/api/v1/orders/${id}`, { token });
    if (res.status === 200 && (res.body.status === "PAID" || res.body.status === "CANCELLED"))
      return res.body;
    if (Date.now() > deadline) throw new Error(`order ${id} not settled: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
