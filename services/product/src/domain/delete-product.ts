import { AppError } from "@shop/platform";
import type { ProductDeps } from "./deps.js";
import { isProductId } from "./product.js";

/**
 * Soft delete: the row stays (reservations and past orders point at it) but the product leaves
 * reads, lists and new orders. Releases and sales of existing reservations still apply to it.
 */
export async function deleteProduct(deps: ProductDeps, rawId: string): Promise<void> {
  if (!isProductId(rawId)) throw AppError.notFound(`product ${rawId} not found`);
  const touched = await deps.products.softDelete(rawId);
  if (!touched) throw AppError.notFound(`product ${rawId} not found`);
  await deps.cache.invalidate([touched], { catalog: true });
}
