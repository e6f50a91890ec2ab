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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Product ids are database UUIDs, but callers see them as opaque strings: anything else can
 * never name a product, so it is answered as "not found" without asking the database (which
 * would reject the cast with an error).
 */
export function isProductId(id: string): boolean {
  return UUID.test(id);
}

/** One spelling per id, so cache keys and comparisons agree. */
export function normalizeId(id: string): string {
  return id.toLowerCase();
}
