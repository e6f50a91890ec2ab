import { AppError, createLogger, createMetricsRegistry } from "@shop/platform";
import { testTlsConfig } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClientOptions, createGrpcClient } from "../src/client.js";
import { loadGrpcCredentials } from "../src/credentials.js";
import { protos } from "../src/protos.js";
import { createGrpcServer } from "../src/server.js";

const logger = createLogger({ service: "grpc-test", level: "silent" });
const metrics = createMetricsRegistry("grpc-test");
const server = createGrpcServer({
  logger,
  metrics,
  credentials: loadGrpcCredentials(testTlsConfig("product")).server(["gateway"]),
});
const gateway: ClientOptions = {
  credentials: loadGrpcCredentials(testTlsConfig("gateway")).client("product"),
};
let address = "";

server.addService(
  protos().product.ProductService.service,
  {
    GetProduct: async (req, ctx) => {
      if (req.id === "stale") throw AppError.conflict("version is stale", "STALE_VERSION");
      if (req.id === "boom") throw new Error("secret internal detail");
      if (req.id === "busy") throw AppError.tooMany("locked out", 42);
      if (req.id === "slow") await new Promise((r) => setTimeout(r, 300));
      return { id: req.id, name: ctx.authorization ?? "anonymous", priceCents: 1999 } as never;
    },
    GetProducts: async () => ({ items: [] }),
    ListProducts: async () => ({ items: [], nextCursor: "" }),
    CreateProduct: async () => ({}) as never,
    UpdateProduct: async (req) => ({ id: req.id, name: req.name ?? "(unset)" }) as never,
    DeleteProduct: async () => ({}),
  },
  "shop.product.v1.ProductService",
);

beforeAll(async () => {
  const port = await server.listen("127.0.0.1", 0);
  address = `127.0.0.1:${port}`;
});
afterAll(() => server.shutdown(1_000));

describe("grpc server and client", () => {
  it("when a call succeeds, then the client gets the message with int64 as number and metadata passed", async () => {
    const client = createGrpcClient(protos().product.ProductService, address, gateway);
    const p = await client.GetProduct({ id: "p1" }, { authorization: "Bearer abc" });
    expect(p).toMatchObject({ id: "p1", name: "Bearer abc", priceCents: 1999, stock: 0 });
    client.close();
  });

  it("when a handler throws an AppError, then the client gets the same kind and code", async () => {
    const client = createGrpcClient(protos().product.ProductService, address, gateway);
    const err = await client.GetProduct({ id: "stale" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ kind: "CONFLICT", code: "STALE_VERSION", message: "version is stale" });
    client.close();
  });

  it("when a handler throws with a retry-after, then the client's error carries it", async () => {
    const client = createGrpcClient(protos().product.ProductService, address, gateway);
    const err = (await client.GetProduct({ id: "busy" }).catch((e: unknown) => e)) as AppError;
    expect(err).toMatchObject({ kind: "TOO_MANY_REQUESTS", retryAfter: 42 });
    client.close();
  });

  it("when a handler throws an unknown error, then its message does not leak", async () => {
    const client = createGrpcClient(protos().product.ProductService, address, gateway);
    const err = (await client.GetProduct({ id: "boom" }).catch((e: unknown) => e)) as AppError;
    expect(err.kind).toBe("INTERNAL");
    expect(err.message).not.toContain("secret");
    client.close();
  });

  it("when the deadline passes, then the call fails with TIMEOUT", async () => {
    const client = createGrpcClient(protos().product.ProductService, address, { ...gateway, deadlineMs: 50 });
    const err = (await client.GetProduct({ id: "slow" }).catch((e: unknown) => e)) as AppError;
    expect(err.kind).toBe("TIMEOUT");
    client.close();
  });

  it("when an optional field is unset, then the handler sees it as absent", async () => {
    const client = createGrpcClient(protos().product.ProductService, address, gateway);
    const res = await client.UpdateProduct({ id: "x", version: 1 });
    expect(res.name).toBe("(unset)");
    const res2 = await client.UpdateProduct({ id: "x", version: 1, name: "" });
    expect(res2.name).toBe("");
    client.close();
  });

  it("when health is checked, then the server and the service report SERVING", async () => {
    const health = createGrpcClient(protos().health.Health, address, gateway);
    expect(await health.Check({ service: "" })).toEqual({ status: "SERVING" });
    expect(await health.Check({ service: "shop.product.v1.ProductService" })).toEqual({ status: "SERVING" });
    const err = (await health.Check({ service: "nope" }).catch((e: unknown) => e)) as AppError;
    expect(err.kind).toBe("NOT_FOUND");
    health.close();
  });

  it("when calls are handled, then RED metrics are recorded", async () => {
    const text = await metrics.metrics();
    expect(text).toMatch(/grpc_server_handled_total\{[^}]*method="GetProduct"[^}]*code="OK"/);
    expect(text).toMatch(/grpc_server_handled_total\{[^}]*method="GetProduct"[^}]*code="ALREADY_EXISTS"/);
  });
});
