import { currentSession, type Session, sessionFrom, setSession, type TokenReply } from "./auth.js";

/** A problem+json answer (or a network failure, status 0) as one error type. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
}

export interface Order {
  id: number;
  status: "CREATED" | "INVENTORY_RESERVED" | "PAID" | "CANCELLED";
  items: { productId: string; name: string; quantity: number; unitPriceCents: number }[];
  totalCents: number;
  currency: string;
  cancelReason: string | null;
  payment: { status: string; amountCents: number } | null;
  createdAt: string;
  updatedAt: string;
}

export interface TimelineItem {
  type: string;
  service: string;
  at: string;
}

export interface Notification {
  id: string;
  type: string;
  channel: string;
  status: string;
  orderId: number | null;
  createdAt: string;
}

const BASE = "/api/v1";

async function send(method: string, path: string, body: unknown, headers: Record<string, string>) {
  const token = currentSession()?.accessToken;
  try {
    return await fetch(`${BASE}${path}`, {
      method,
      headers: {
        accept: "application/json",
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError(0, "The shop cannot be reached. Check your connection and try again.");
  }
}

/** Trades the in-memory refresh token for a new access token; false when there is none or it failed. */
async function renew(session: Session): Promise<boolean> {
  if (!session.refreshToken) return false;
  const res = await send("POST", "/auth/refresh", { refreshToken: session.refreshToken }, {});
  if (!res.ok) return false;
  setSession(sessionFrom(session.email, (await res.json()) as TokenReply));
  return true;
}

export async function request<T>(
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<T> {
  let res = await send(method, path, opts.body, opts.headers ?? {});
  const session = currentSession();
  if (res.status === 401 && session && !path.startsWith("/auth/")) {
    if (await renew(session)) res = await send(method, path, opts.body, opts.headers ?? {});
    else setSession(null);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const detail = data?.detail ?? data?.title ?? `request failed (${res.status})`;
    throw new ApiError(res.status, String(detail));
  }
  return data as T;
}

export async function logIn(email: string, password: string): Promise<void> {
  const reply = await request<TokenReply>("POST", "/auth/login", { body: { email, password } });
  setSession(sessionFrom(email, reply));
}

export async function signUp(email: string, password: string): Promise<void> {
  await request("POST", "/auth/register", { body: { email, password } });
  await logIn(email, password);
}

export async function logOut(): Promise<void> {
  const refreshToken = currentSession()?.refreshToken;
  setSession(null);
  if (refreshToken) await request("POST", "/auth/logout", { body: { refreshToken } }).catch(() => {});
}
