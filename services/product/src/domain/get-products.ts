import { AppError } from "@shop/platform";
import type { ProductDeps } from "./deps.js";
import { isProductId, type Product } from "./product.js";

const MAX_IDS = 1000;

/**
 * Live products among `ids`, in the order asked, each once; unknown, malformed and deleted ids
 * are left out. Read through the cache: hits from Redis, the rest from the database, which are
 * then stored unless a newer version got there first.
 */
export async function getProducts(deps: ProductDeps, rawIds: string[]): Promise<Product[]> {
  if (rawIds.length > MAX_IDS) {
    throw AppError.invalid(`at most ${MAX_IDS} ids per call`, [
      { path: "/ids", message: `at most ${MAX_IDS}` },
    ]);
  }
  const ids = [...new Set(rawIds.filter(isProductId))];
  if (ids.length === 0) return [];
  const found = await deps.cache.getMany(ids);
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    const loaded = await deps.products.findLiveMany(missing);
    for (const p of loaded) found.set(p.id, p);
    await deps.cache.store(loaded);
  }
  return ids.flatMap((id) => found.get(id) ?? []);
}
