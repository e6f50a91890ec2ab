import { AppError } from "@shop/platform";
import type { ProductDeps } from "./deps.js";
import { getProducts } from "./get-products.js";
import type { Product } from "./product.js";

/** One live product; any other id, well-formed or not, is NOT_FOUND. */
export async function getProduct(deps: ProductDeps, id: string): Promise<Product> {
  const [product] = await getProducts(deps, [id]);
  if (!product) throw AppError.notFound(`product ${id} not found`);
  return product;
}
