import type { ProductDeps } from "./deps.js";
import type { Product } from "./product.js";
import {
  checkCurrency,
  checkDescription,
  checkName,
  checkPrice,
  checkSku,
  checkStock,
  FieldErrors,
} from "./validation.js";

export interface CreateProductInput {
  sku: string;
  name: string;
  description?: string | undefined;
  priceCents: number;
  currency?: string | undefined;
  stock: number;
}

/** Adds a product to the catalog. A SKU already used by a live product is a DUPLICATE_SKU conflict. */
export async function createProduct(deps: ProductDeps, input: CreateProductInput): Promise<Product> {
  const errors = new FieldErrors();
  const product = {
    sku: checkSku(errors, input.sku),
    name: checkName(errors, input.name),
    description: checkDescription(errors, input.description ?? ""),
    priceCents: checkPrice(errors, input.priceCents),
    currency: checkCurrency(errors, input.currency),
    stock: checkStock(errors, input.stock),
  };
  errors.throwIfAny();
  // A new id cannot be in the cache yet: nothing to invalidate.
  return deps.products.insert(product);
}
