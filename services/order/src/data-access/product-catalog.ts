import { createGrpcClient, type PromiseClient, protos } from "@shop/grpc";

export interface CatalogProduct {
  id: string;
  name: string;
  priceCents: number;
  currency: string;
}

type ProductClient = PromiseClient<InstanceType<ReturnType<typeof protos>["product"]["ProductService"]>>;

/** Longest product id worth asking about: longer ones cannot exist (see the event schemas). */
const MAX_PRODUCT_ID_LENGTH = 100;

/** Live products and their current prices, from the product service over gRPC. */
export function createProductCatalog(address: string, opts: { deadlineMs?: number } = {}) {
  const client: ProductClient = createGrpcClient(protos().product.ProductService, address, opts);
  return {
    /** The live products among `ids`; unknown and deleted ids are absent from the map. */
    async getProducts(ids: string[], authorization?: string): Promise<Map<string, CatalogProduct>> {
      const asked = ids.filter((id) => id.length > 0 && id.length <= MAX_PRODUCT_ID_LENGTH);
      if (asked.length === 0) return new Map();
      const res = await client.GetProducts({ ids: asked }, { authorization });
      return new Map(
        res.items.map((p) => [
          p.id,
          { id: p.id, name: p.name, priceCents: Number(p.priceCents), currency: p.currency || "USD" },
        ]),
      );
    },
    close: () => client.close(),
  };
}

export type ProductCatalog = Pick<ReturnType<typeof createProductCatalog>, "getProducts">;
