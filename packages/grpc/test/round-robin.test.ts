import { createLogger, createMetricsRegistry } from "@shop/platform";
import { testTlsConfig } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGrpcClient } from "../src/client.js";
import { loadGrpcCredentials } from "../src/credentials.js";
import { protos } from "../src/protos.js";
import { createGrpcServer, type GrpcServer } from "../src/server.js";

const logger = createLogger({ service: "grpc-rr-test", level: "silent" });

/** One product-service instance that answers with its own name. */
function instance(name: string): GrpcServer {
  const server = createGrpcServer({
    logger,
    metrics: createMetricsRegistry(`grpc-rr-${name}`),
    credentials: loadGrpcCredentials(testTlsConfig("product")).server(["gateway"]),
  });
  server.addService(protos().product.ProductService.service, {
    GetProduct: async () => ({ id: name, name }) as never,
    GetProducts: async () => ({ items: [] }),
    ListProducts: async () => ({ items: [], nextCursor: "" }),
    CreateProduct: async () => ({}) as never,
    UpdateProduct: async () => ({}) as never,
    DeleteProduct: async () => ({}),
  });
  return server;
}

const servers = { a: instance("a"), b: instance("b") };
const ports: number[] = [];
beforeAll(async () => {
  ports.push(await servers.a.listen("127.0.0.1", 0), await servers.b.listen("127.0.0.1", 0));
});
afterAll(() => Promise.all([servers.a.shutdown(1_000), servers.b.shutdown(1_000)]));

describe("a client of several instances", () => {
  it("when two instances are listed, then calls go to both, and to the survivor when one stops", async () => {
    const client = createGrpcClient(
      protos().product.ProductService,
      `ipv4:${ports.map((p) => `127.0.0.1:${p}`).join(",")}`,
      { credentials: loadGrpcCredentials(testTlsConfig("gateway")).client("product") },
    );
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) seen.add((await client.GetProduct({ id: "x" })).id);
      expect([...seen].sort()).toEqual(["a", "b"]);

      await servers.a.shutdown(1_000);
      const after: string[] = [];
      for (let i = 0; i < 10; i++) after.push((await client.GetProduct({ id: "x" })).id);
      expect(after.every((id) => id === "b")).toBe(true);
    } finally {
      client.close();
    }
  });
});
