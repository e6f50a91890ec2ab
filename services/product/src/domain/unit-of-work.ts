import type { Queryable, TransactionSql } from "@shop/platform";
import type { ProductDeps } from "./deps.js";
import type { Touched } from "./product.js";

export interface WorkResult<T> {
  result: T;
  /** Products the work changed, at their new versions. */
  touched: Touched[];
}

/**
 * Runs inventory work in the caller's transaction (an event handler's, which also holds the
 * inbox row) or in a transaction of its own, and fences the cache at the versions written.
 * Own transaction: the fence goes up after the commit. Caller's transaction: it goes up before
 * the caller commits, which a version fence makes safe (see data-access/product-cache.ts).
 */
export async function inTransaction<T>(
  deps: ProductDeps,
  tx: Queryable | undefined,
  work: (tx: Queryable) => Promise<WorkResult<T>>,
): Promise<T> {
  const done = tx ? await work(tx) : await deps.sql.begin((own: TransactionSql) => work(own));
  await deps.cache.invalidate(done.touched);
  return done.result;
}
