import { AppError } from "@shop/platform";
import { decodeCursor, encodeCursor } from "./cursor.js";
import type { ProductDeps } from "./deps.js";
import type { Product } from "./product.js";

export interface ListProductsInput {
  q?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface ProductPage {
  items: Product[];
  nextCursor: string | null;
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;
const MAX_QUERY = 200;

/**
 * A page of live products in a stable order (created_at, id), optionally filtered by a text
 * search over name and description. Lists are not cached: they change with every new product.
 */
export async function listProducts(deps: ProductDeps, input: ListProductsInput): Promise<ProductPage> {
  const limit = input.limit || DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw AppError.invalid(`limit must be 1-${MAX_LIMIT}`, [
      { path: "/limit", message: `must be 1-${MAX_LIMIT}` },
    ]);
  }
  const q = input.q?.trim() || undefined;
  if (q && q.length > MAX_QUERY) {
    throw AppError.invalid(`q must be at most ${MAX_QUERY} characters`, [
      { path: "/q", message: `must be at most ${MAX_QUERY} characters` },
    ]);
  }
  const after = input.cursor ? decodeCursor(input.cursor) : undefined;
  // One row more than asked tells whether another page exists.
  const rows = await deps.products.listPage({ q, limit: limit + 1, after });
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}
