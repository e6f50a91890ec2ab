import type { NearCache } from "@shop/events";
import { createGrpcClient, type GrpcClientCredentials, type PromiseClient, protos } from "@shop/grpc";

export interface CatalogProduct {
  id: string;
  name: string;
  priceCents: number;
  currency: string;
  /** The product's version when read: a near cache keeps nothing older than an announced change. */
  version: number;
}

type ProductClient = PromiseClient<InstanceType<ReturnType<typeof protos>["product"]["ProductService"]>>;

/** Longest product id worth asking about: longer ones cannot exist (see the event schemas). */
const MAX_PRODUCT_ID_LENGTH = 100;

/** What a read rejects with for a product the catalog does not have: not an error, not cached. */
const ABSENT = Symbol("absent");

export interface ProductCatalogOptions {
  /** This service's certificate, expecting the product service: `credentials.client("product")`. */
  credentials: GrpcClientCredentials;
  deadlineMs?: number;
  /**
   * Prices in memory, dropped when the product service announces a change to what a product is
   * or costs (its catalog channel; stock moves are not announced there, so the saga's own
   * reservations leave the entries alone). Without it, every order asks the product service.
   */
  cache?: NearCache<CatalogProduct>;
}

/** Live products and their current prices, from the product service over gRPC. */
export function createProductCatalog(address: string, opts: ProductCatalogOptions) {
  const client: ProductClient = createGrpcClient(protos().product.ProductService, address, opts);

  async function fetch(ids: string[], authorization?: string): Promise<Map<string, CatalogProduct>> {
    const res = await client.GetProducts({ ids }, { authorization });
    return new Map(
      res.items.map((p) => [
        p.id,
        {
          id: p.id,
          name: p.name,
          priceCents: Number(p.priceCents),
          currency: p.currency || "USD",
          version: Number(p.version),
        },
      ]),
    );
  }

  return {
    /** The live products among `ids`; unknown and deleted ids are absent from the map. */
    async getProducts(ids: string[], authorization?: string): Promise<Map<string, CatalogProduct>> {
      const asked = [...new Set(ids.filter((id) => id.length > 0 && id.length <= MAX_PRODUCT_ID_LENGTH))];
      if (asked.length === 0) return new Map();
      const cache = opts.cache;
      if (!cache) return fetch(asked, authorization);
      // The cache asks for each miss at once, inside `get`; the misses share one call, made once
      // they are all known.
      const missed: string[] = [];
      let batch: Promise<Map<string, CatalogProduct>> | undefined;
      const read = (id: string) => {
        missed.push(id);
        batch ??= Promise.resolve().then(() => fetch(missed, authorization));
        return batch.then((found) => found.get(id) ?? Promise.reject(ABSENT));
      };
      const products = await Promise.all(
        asked.map((id) =>
          cache
            .get(id, () => read(id))
            .catch((err: unknown) => {
              if (err === ABSENT) return undefined;
              throw err;
            }),
        ),
      );
      return new Map(products.flatMap((p) => (p ? [[p.id, p] as const] : [])));
    },
    close: () => client.close(),
  };
}

export type ProductCatalog = Pick<ReturnType<typeof createProductCatalog>, "getProducts">;
