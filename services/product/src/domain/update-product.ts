import { AppError } from "@shop/platform";
import type { ProductDeps } from "./deps.js";
import { isProductId, type Product } from "./product.js";
import { checkDescription, checkName, checkPrice, checkStock, FieldErrors } from "./validation.js";

export interface UpdateProductInput {
  id: string;
  /** The version the caller read: the edit applies only if nobody changed the product since. */
  version: number;
  name?: string | undefined;
  description?: string | undefined;
  priceCents?: number | undefined;
  stock?: number | undefined;
}

/**
 * Edits a product under optimistic locking. A stale `version` is a STALE_VERSION conflict: the
 * caller re-reads and decides again (a reservation in between also bumps the version, so an
 * admin never overwrites stock they have not seen).
 */
export async function updateProduct(deps: ProductDeps, input: UpdateProductInput): Promise<Product> {
  if (!isProductId(input.id)) throw AppError.notFound(`product ${input.id} not found`);
  const id = input.id;
  const errors = new FieldErrors();
  if (!Number.isSafeInteger(input.version) || input.version < 1) {
    errors.add("/version", "must be a positive integer");
  }
  const changes = {
    ...(input.name !== undefined && { name: checkName(errors, input.name) }),
    ...(input.description !== undefined && { description: checkDescription(errors, input.description) }),
    ...(input.priceCents !== undefined && { priceCents: checkPrice(errors, input.priceCents) }),
    ...(input.stock !== undefined && { stock: checkStock(errors, input.stock) }),
  };
  errors.throwIfAny();

  const updated = await deps.products.updateIfVersion(id, input.version, changes);
  if (!updated) {
    const current = await deps.products.findLive(id);
    if (!current) throw AppError.notFound(`product ${input.id} not found`);
    throw AppError.conflict(
      `product ${id} is at version ${current.version}, not ${input.version}`,
      "STALE_VERSION",
    );
  }
  await deps.cache.invalidate([{ id, version: updated.version }], { catalog: true });
  return updated;
}
