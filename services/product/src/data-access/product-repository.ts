import { AppError, type Queryable, type Sql } from "@shop/platform";
import { isProductId, type Product, type Touched } from "../domain/product.js";

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

/** Units to move between a product's stock, reserved and sold columns (signed). */
export interface InventoryDelta {
  id: string;
  stock: number;
  reserved: number;
  sold: number;
}

/** What `reserveAll` did: every line held (`short` empty), or none held and these ids short. */
export interface ReserveResult {
  short: string[];
  touched: Touched[];
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
     * Takes `quantity` of each line from stock into reserved, for every line or none, in one
     * statement. `locked` takes the row locks in id order first: every writer that holds several
     * product locks at once takes them in that order, so two of them can wait on each other but
     * never deadlock, and competing orders queue on a row and each sees the stock the previous one
     * left. The update applies only if every line was found live with enough stock under its lock
     * (the check is one value, so the update is all or nothing); a line whose id is not a product
     * id is never cast to uuid and simply found short. Each held row's version bumps.
     * Conditions and new values read the locked row only, never `p`: `p` is scanned as of the
     * statement's snapshot, which may predate the lock, and PostgreSQL checks the constraints of a
     * new row computed from that old version before it notices the concurrent update and recomputes
     * (a release that raised the stock after the snapshot made `p.stock - quantity` fail
     * `stock >= 0` although the locked stock sufficed).
     */
    async reserveAll(
      lines: { productId: string; quantity: number }[],
      tx: Queryable,
    ): Promise<ReserveResult> {
      const rows = await tx<{ asked: string; ok: boolean; id: string | null; version: number | null }[]>`
        with wanted as (
          select * from unnest(
            ${lines.map((l) => l.productId)}::text[],
            ${lines.map((l) => l.quantity)}::int[]
          ) as w (asked, quantity)
        ),
        locked as materialized (
          select id, stock, reserved, version, deleted_at is null as live
          from products
          where id = any(${lines.map((l) => l.productId).filter(isProductId)}::uuid[])
          order by id
          for update
        ),
        checked as materialized (
          select w.asked, w.quantity, l.id, l.stock, l.reserved, l.version,
                 coalesce(l.live and l.stock >= w.quantity, false) as ok
          from wanted w left join locked l on l.id::text = w.asked
        ),
        held as (
          update products p
          set stock = c.stock - c.quantity,
              reserved = c.reserved + c.quantity,
              version = c.version + 1,
              updated_at = clock_timestamp()
          from checked c
          where p.id = c.id and (select bool_and(ok) from checked)
          returning p.id, p.version
        )
        select c.asked, c.ok, held.id, held.version
        from checked c left join held on held.id = c.id
      `;
      const ok = new Map(rows.map((r) => [r.asked, r.ok]));
      return {
        short: lines.filter((l) => !ok.get(l.productId)).map((l) => l.productId),
        touched: rows.flatMap((r) =>
          r.id !== null && r.version !== null ? [{ id: r.id, version: r.version }] : [],
        ),
      };
    },

    /**
     * Applies every delta in one statement, deleted products included; returns the rows changed at
     * their new versions (fewer than asked if an id does not exist). Rows are locked in id order,
     * like a reservation's, so the two never deadlock; new values come from the locked row, for the
     * reason given at `reserveAll`.
     */
    async applyDeltas(deltas: InventoryDelta[], tx: Queryable): Promise<Touched[]> {
      if (deltas.length === 0) return [];
      return tx<Touched[]>`
        with d as (
          select * from unnest(
            ${deltas.map((d) => d.id)}::uuid[],
            ${deltas.map((d) => d.stock)}::int[],
            ${deltas.map((d) => d.reserved)}::int[],
            ${deltas.map((d) => d.sold)}::int[]
          ) as d (id, stock, reserved, sold)
        ),
        locked as materialized (
          select id, stock, reserved, sold, version
          from products where id = any(${deltas.map((d) => d.id)}::uuid[]) order by id for update
        )
        update products p
        set stock = locked.stock + d.stock,
            reserved = locked.reserved + d.reserved,
            sold = locked.sold + d.sold,
            version = locked.version + 1,
            updated_at = clock_timestamp()
        from d join locked on locked.id = d.id
        where p.id = d.id
        returning p.id, p.version
      `;
    },
  };
}

export type ProductRepository = ReturnType<typeof createProductRepository>;
