import { randomBytes } from "node:crypto";
import type { HttpClient } from "../load/http-client.js";

export interface Customer {
  email: string;
  password: string;
  token: string;
  tokenAt: number;
}

const uid = () => randomBytes(6).toString("hex");

function expect<T>(what: string, reply: { status: number; body: unknown }, status: number): T {
  if (reply.status !== status) {
    throw new Error(`${what}: HTTP ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
  }
  return reply.body as T;
}

export async function login(api: HttpClient, email: string, password: string): Promise<string> {
  const reply = await api.request("POST", "/api/v1/auth/login", { body: { email, password } });
  return expect<{ accessToken: string }>(`login ${email}`, reply, 200).accessToken;
}

/** Products with stock enough that no order of the run can run out. */
export async function createProducts(api: HttpClient, adminToken: string, count: number, stock: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const reply = await api.request("POST", "/api/v1/products", {
      token: adminToken,
      body: {
        sku: `bench-${uid()}`,
        name: `Bench product ${i}`,
        description: "Stock for the saga benchmark",
        priceCents: 1_000 + i,
        stock,
      },
    });
    ids.push(expect<{ id: string }>("create product", reply, 201).id);
  }
  return ids;
}

/** Registers and signs in `count` customers, a few at a time (password hashing is deliberately slow). */
export async function registerCustomers(api: HttpClient, count: number, parallel = 4): Promise<Customer[]> {
  const customers: Customer[] = [];
  async function one() {
    const email = `bench-${uid()}@shop.test`;
    const password = `pw-${uid()}`;
    const reg = await api.request("POST", "/api/v1/auth/register", { body: { email, password } });
    expect("register", reg, 201);
    customers.push({ email, password, token: await login(api, email, password), tokenAt: Date.now() });
  }
  for (let i = 0; i < count; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, one));
  }
  return customers;
}

/** Signs customers in again when their access token is older than `maxAgeMs` (tokens live 15 minutes at most). */
export async function refreshTokens(api: HttpClient, customers: Customer[], maxAgeMs = 8 * 60_000) {
  for (const c of customers) {
    if (Date.now() - c.tokenAt < maxAgeMs) continue;
    c.token = await login(api, c.email, c.password);
    c.tokenAt = Date.now();
  }
}
