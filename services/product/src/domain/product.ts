/** A catalog entry with its inventory counters, as every layer of the service sees it. */
export interface Product {
  id: string;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  /** Available to new orders; reserved units are not in it. */
  stock: number;
  reserved: number;
  sold: number;
  /** Increases by one on every change, reservations and releases included. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What a write changed: the cache fences each product at its new version. */
export interface Touched {
  id: string;
  version: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Product ids are database UUIDs, but callers see them as opaque strings and compare them
 * exactly as issued (lower-case canonical form): anything else never names a product, so it is
 * answered as "not found" without asking the database (which would reject the cast with an error,
 * or accept other spellings of the same UUID that the order service would then not recognise).
 */
export function isProductId(id: string): boolean {
  return UUID.test(id);
}
