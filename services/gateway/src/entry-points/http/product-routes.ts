import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { AppError, isAppError } from "@shop/platform";
import { Type } from "typebox";
import { nullIfEmpty, type RouteDeps } from "./route-deps.js";
import { bearerAuth, DEFAULT_LIMIT, OpaqueIdParams, Page, problemResponses } from "./schemas/common.js";
import { CreateProductBody, Product, ProductListQuery, UpdateProductBody } from "./schemas/product.js";
import { callOptions } from "./trace-context.js";

const tags = ["products"];
/** Longer than any id we issue: names no product, so 404 without asking the catalog. */
const MAX_ID_LENGTH = 256;

interface ProductRecord {
  id: string;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  version: number;
}

const toProduct = (p: ProductRecord) => ({
  id: p.id,
  sku: p.sku,
  name: p.name,
  description: p.description,
  priceCents: p.priceCents,
  currency: p.currency || "USD",
  stock: p.stock,
  version: p.version,
});

/** Ids are opaque: one that cannot name a product is simply not found. */
function checkId(id: string): void {
  if (id.length === 0 || id.length > MAX_ID_LENGTH) throw AppError.notFound("product not found");
}

/** A read by id has no other input, so a catalog that rejects the id's form means "no such product". */
function asNotFound(err: unknown): never {
  if (isAppError(err) && err.kind === "INVALID_ARGUMENT") throw AppError.notFound("product not found");
  throw err;
}

/** The catalog: reads for anyone, writes for admins (the product service checks the token again). */
export function productRoutes(deps: RouteDeps): FastifyPluginAsyncTypebox {
  const { product } = deps.clients;
  const cache = deps.productCache;
  return async (app) => {
    app.get(
      "/api/v1/products",
      {
        schema: {
          tags,
          summary: "List or search products",
          querystring: ProductListQuery,
          response: { 200: Page(Product), ...problemResponses(400, 429, 503) },
        },
      },
      async (req) => {
        const page = await product.ListProducts(
          { q: req.query.q ?? "", limit: req.query.limit ?? DEFAULT_LIMIT, cursor: req.query.cursor ?? "" },
          callOptions(req),
        );
        return { items: page.items.map(toProduct), nextCursor: nullIfEmpty(page.nextCursor) };
      },
    );

    app.get(
      "/api/v1/products/:id",
      {
        schema: {
          tags,
          summary: "One product",
          params: OpaqueIdParams,
          response: { 200: Product, ...problemResponses(404, 429, 503) },
        },
      },
      async (req) => {
        const { id } = req.params;
        checkId(id);
        const read = async () =>
          toProduct(await product.GetProduct({ id }, callOptions(req)).catch(asNotFound));
        return cache ? cache.get(id, read) : read();
      },
    );

    app.post(
      "/api/v1/products",
      {
        preValidation: deps.auth.admin,
        schema: {
          tags,
          summary: "Create a product (admin)",
          security: bearerAuth,
          body: CreateProductBody,
          response: { 201: Product, ...problemResponses(400, 401, 403, 409, 413, 429, 503) },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const created = await product.CreateProduct(
          {
            sku: b.sku,
            name: b.name,
            description: b.description ?? "",
            priceCents: b.priceCents,
            currency: b.currency ?? "USD",
            stock: b.stock,
          },
          callOptions(req, deps.auth.identity(req)),
        );
        const view = toProduct(created);
        cache?.wrote(view);
        return reply.status(201).send(view);
      },
    );

    app.patch(
      "/api/v1/products/:id",
      {
        preValidation: deps.auth.admin,
        schema: {
          tags,
          summary: "Change a product (admin); `version` must be the current one",
          security: bearerAuth,
          params: OpaqueIdParams,
          body: UpdateProductBody,
          response: { 200: Product, ...problemResponses(400, 401, 403, 404, 409, 413, 429, 503) },
        },
      },
      async (req) => {
        checkId(req.params.id);
        const { version, name, description, priceCents, stock } = req.body;
        const updated = await product.UpdateProduct(
          {
            id: req.params.id,
            version,
            // Absent fields stay unset so the service leaves them unchanged.
            ...(name !== undefined ? { name } : {}),
            ...(description !== undefined ? { description } : {}),
            ...(priceCents !== undefined ? { priceCents } : {}),
            ...(stock !== undefined ? { stock } : {}),
          },
          callOptions(req, deps.auth.identity(req)),
        );
        const view = toProduct(updated);
        cache?.wrote(view);
        return view;
      },
    );

    app.delete(
      "/api/v1/products/:id",
      {
        preValidation: deps.auth.admin,
        schema: {
          tags,
          summary: "Delete a product (admin; soft delete, past orders keep it)",
          security: bearerAuth,
          params: OpaqueIdParams,
          response: {
            204: Type.Null({ description: "deleted" }),
            ...problemResponses(401, 403, 404, 429, 503),
          },
        },
      },
      async (req, reply) => {
        checkId(req.params.id);
        await product
          .DeleteProduct({ id: req.params.id }, callOptions(req, deps.auth.identity(req)))
          .catch(asNotFound);
        cache?.deleted(req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
