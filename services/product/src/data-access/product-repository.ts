import { AppError, type Queryable, type Sql } from "@shop/platform";
import type { Product, Touched } from "../domain/product.js";

export interface NewProduct {
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
}

export interface ProductChanges {
  name?: string;
  description?: string;
  priceCents?: number;
  stock?: number;
}

/** A product row as the inventory use cases see it while they hold its lock. */
export interface LockedProduct {
  id: string;
  stock: number;
  reserved: number;
  version: number;
  live: boolean;
}

export interface InventoryDelta {
  stock: number;
  reserved: number;
  sold: number;
}

export interface PageQuery {
  q: string | undefined;
  limit: number;
  after: { createdAt: string; id: string } | undefined;
}

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  stock: number;
  reserved: number;
  sold: number;
  version: number;
  created_at: string;
  updated_at: string;
}

const SKU_INDEX = "products_live_sku_key";

function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    priceCents: row.price_cents,
    currency: row.currency,
    stock: row.stock,
    reserved: row.reserved,
    sold: row.sold,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Every method takes an optional transaction; without one it runs on the pool. */
export function createProductRepository(sql: Sql) {
  // Timestamps as RFC 3339 text with microseconds: the page cursor needs the exact value back.
  const columns = sql`
    id, sku, name, description, price_cents, currency, stock, reserved, sold, version,
    to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at,
    to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as updated_at
  `;

  return {
    async insert(p: NewProduct, tx: Queryable = sql): Promise<Product> {
      try {
        const [row] = await tx<ProductRow[]>`
          insert into products (sku, name, description, price_cents, currency, stock)
          values (${p.sku}, ${p.name}, ${p.description}, ${p.priceCents}, ${p.currency}, ${p.stock})
          returning ${columns}
        `;
        return toProduct(row!);
      } catch (err) {
        if ((err as { constraint_name?: string }).constraint_name === SKU_INDEX) {
          throw AppError.conflict(`a product with sku ${p.sku} already exists`, "DUPLICATE_SKU");
        }
        throw err;
      }
    },

    async findLive(id: string, tx: Queryable = sql): Promise<Product | undefined> {
      const [row] = await tx<ProductRow[]>`
        select ${columns} from products where id = ${id} and deleted_at is null
      `;
      return row ? toProduct(row) : undefined;
    },

    async findLiveMany(ids: string[], tx: Queryable = sql): Promise<Product[]> {
      if (ids.length === 0) return [];
      const rows = await tx<ProductRow[]>`
        select ${columns} from products where id = any(${ids}::uuid[]) and deleted_at is null
      `;
      return rows.map(toProduct);
    },

    /**
     * Live products after the cursor, oldest first. `q` matches name and description by word
     * prefix ("key" finds "keyboard"); the query goes through the same parser as the documents,
     * and each of its lexemes is quoted, so no user input reaches tsquery syntax.
     */
    async listPage(page: PageQuery, tx: Queryable = sql): Promise<Product[]> {
      // A scalar subquery, so the tsquery is built once per statement, not once per row.
      const search = page.q
        ? sql`and search @@ (
            select to_tsquery('simple', coalesce(string_agg(quote_literal(lexeme) || ':*', ' & '), ''))
            from unnest(to_tsvector('simple', ${page.q}))
          )`
        : sql``;
      // Sent as text: postgres.js would serialise a timestamptz parameter through Date (milliseconds).
      const after = page.after
        ? sql`and (created_at, id) > (${page.after.createdAt}::text::timestamptz, ${page.after.id}::uuid)`
        : sql``;
      const rows = await tx<ProductRow[]>`
        select ${columns} from products
        where deleted_at is null ${search} ${after}
        order by created_at, id
        limit ${page.limit}
      `;
      return rows.map(toProduct);
    },

    /** Applies the changes only if the product is live and still at `version`. */
    async updateIfVersion(
      id: string,
      version: number,
      changes: ProductChanges,
      tx: Queryable = sql,
    ): Promise<Product | undefined> {
      // An absent change keeps the column (coalesce with null), so one statement serves any subset.
      const [row] = await tx<ProductRow[]>`
        update products
        set name = coalesce(${changes.name ?? null}::text, name),
            description = coalesce(${changes.description ?? null}::text, description),
            price_cents = coalesce(${changes.priceCents ?? null}::bigint, price_cents),
            stock = coalesce(${changes.stock ?? null}::integer, stock),
            version = version + 1,
            updated_at = clock_timestamp()
        where id = ${id} and version = ${version} and deleted_at is null
        returning ${columns}
      `;
      return row ? toProduct(row) : undefined;
    },

    async softDelete(id: string, tx: Queryable = sql): Promise<Touched | undefined> {
      const [row] = await tx<Touched[]>`
        update products
        set deleted_at = clock_timestamp(), updated_at = clock_timestamp(), version = version + 1
        where id = ${id} and deleted_at is null
        returning id, version
      `;
      return row;
    },

    /**
     * Locks the rows in id order. Every writer that holds several product locks at once takes
     * them through here, so two of them can wait on each other but never deadlock.
     */
    async lockInIdOrder(ids: string[], tx: Queryable): Promise<LockedProduct[]> {
      if (ids.length === 0) return [];
      return tx<LockedProduct[]>`
        select id, stock, reserved, version, deleted_at is null as live
        from products
        where id = any(${ids}::uuid[])
        order by id
        for update
      `;
    },

    /**
     * Moves units between stock, reserved and sold, if the row is still at `version`; returns
     * the new version, or undefined when someone else changed the row first.
     */
    async applyDelta(
      id: string,
      version: number,
      delta: InventoryDelta,
      tx: Queryable,
    ): Promise<Touched | undefined> {
      const [row] = await tx<Touched[]>`
        update products
        set stock = stock + ${delta.stock},
            reserved = reserved + ${delta.reserved},
            sold = sold + ${delta.sold},
            version = version + 1,
            updated_at = clock_timestamp()
        where id = ${id} and version = ${version}
        returning id, version
      `;
      return row;
    },
  };
}

export type ProductRepository = ReturnType<typeof createProductRepository>;
