import { uid } from "@shop/testkit";
import { inject } from "vitest";

/** Direct API calls for what a shopper cannot do in the storefront: the admin's catalogue. */
async function call(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${inject("gatewayUrl")}/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => undefined);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

let adminToken: Promise<string> | undefined;
function admin(): Promise<string> {
  adminToken ??= call("POST", "/auth/login", inject("admin")).then((r) => r.accessToken as string);
  return adminToken;
}

/** Products whose names share one fresh word, so a search for it finds exactly them. */
export async function createProducts(names: string[], priceCents = 1_250) {
  const word = `w${uid()}`;
  const products: { id: string; name: string }[] = [];
  for (const name of names) {
    const p = await call(
      "POST",
      "/products",
      {
        sku: `sku-${uid()}`,
        name: `${name} ${word}`,
        description: `A ${name.toLowerCase()}.`,
        priceCents,
        stock: 20,
      },
      await admin(),
    );
    products.push({ id: p.id, name: p.name });
  }
  return { word, products };
}
