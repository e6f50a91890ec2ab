import type { ApiClient, Customer } from "./api-client.js";

export interface CatalogProduct {
  id: string;
  initialStock: number;
  scarce: boolean;
}

export interface Shop {
  adminToken: string;
  customers: Customer[];
  products: CatalogProduct[];
}

export interface SeedOptions {
  admin: { email: string; password: string };
  customers?: number;
  plentiful?: number;
  scarce?: number;
  /** Units of each scarce product: few enough that orders run out of them. */
  scarceStock?: number;
}

/** Customers and a catalogue through the public API: most products plentiful, a few scarce. */
export async function seedShop(api: ApiClient, opts: SeedOptions): Promise<Shop> {
  const adminToken = await api.login(opts.admin.email, opts.admin.password);
  const customers: Customer[] = [];
  for (let i = 0; i < (opts.customers ?? 8); i++) customers.push(await api.signUp());
  const products: CatalogProduct[] = [];
  for (let i = 0; i < (opts.plentiful ?? 4); i++) {
    const p = await api.createProduct(adminToken, 1_000_000, 500 + i * 250);
    products.push({ id: p.id, initialStock: 1_000_000, scarce: false });
  }
  for (let i = 0; i < (opts.scarce ?? 3); i++) {
    const stock = opts.scarceStock ?? 40;
    const p = await api.createProduct(adminToken, stock, 2_000 + i * 100);
    products.push({ id: p.id, initialStock: stock, scarce: true });
  }
  return { adminToken, customers, products };
}
