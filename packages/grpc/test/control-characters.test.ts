import { AppError, createLogger, createMetricsRegistry } from "@shop/platform";
import { testTlsConfig } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGrpcClient } from "../src/client.js";
import { findControlCharacter } from "../src/control-characters.js";
import { loadGrpcCredentials } from "../src/credentials.js";
import { protos } from "../src/protos.js";
import { createGrpcServer } from "../src/server.js";

const server = createGrpcServer({
  logger: createLogger({ service: "grpc-test", level: "silent" }),
  metrics: createMetricsRegistry("grpc-test"),
  credentials: loadGrpcCredentials(testTlsConfig("product")).server(["gateway"]),
});
let handled = 0;
const echo = async (req: { name?: string; description?: string }) => {
  handled++;
  return { id: "p1", name: req.name ?? "", description: req.description ?? "" } as never;
};
server.addService(
  protos().product.ProductService.service,
  {
    GetProduct: async (req) => echo({ name: req.id }),
    GetProducts: async () => ({ items: [] }),
    ListProducts: async () => ({ items: [], nextCursor: "" }),
    CreateProduct: echo,
    UpdateProduct: echo,
    DeleteProduct: async () => ({}),
  },
  undefined,
  { CreateProduct: ["description"] },
);
let client: ReturnType<
  typeof createGrpcClient<InstanceType<ReturnType<typeof protos>["product"]["ProductService"]>>
>;

beforeAll(async () => {
  const port = await server.listen("127.0.0.1", 0);
  client = createGrpcClient(protos().product.ProductService, `127.0.0.1:${port}`, {
    credentials: loadGrpcCredentials(testTlsConfig("gateway")).client("product"),
  });
});
afterAll(async () => {
  client.close();
  await server.shutdown(1_000);
});

const create = (fields: { name?: string; description?: string; sku?: string }) =>
  client.CreateProduct({ sku: "s", name: "n", description: "", priceCents: 1, stock: 1, ...fields });

describe("control characters in requests", () => {
  it.each(["\u0000", "\u0001", "\u001b[31m", "\r", "\n", "\t", "a\u001fb"])(
    "when a request string holds %j, then the call is INVALID_ARGUMENT and the handler never runs",
    async (bad) => {
      const before = handled;
      const err = await client.GetProduct({ id: `x${bad}` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ kind: "INVALID_ARGUMENT" });
      expect((err as AppError).message).toContain("/id");
      expect(handled).toBe(before);
    },
  );

  it("when a repeated string holds a NUL, then the call is INVALID_ARGUMENT", async () => {
    const err = await client.GetProducts({ ids: ["a", "b\u0000"] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "INVALID_ARGUMENT", message: expect.stringContaining("/ids/1") });
  });

  it("when a method names a free-text field, then it may hold tab and line feed but nothing else", async () => {
    const ok = await create({ description: "line one\n\tline two" });
    expect(ok.description).toBe("line one\n\tline two");
    await expect(create({ description: "a\u0000b" })).rejects.toMatchObject({ kind: "INVALID_ARGUMENT" });
    await expect(create({ description: "a\rb" })).rejects.toMatchObject({ kind: "INVALID_ARGUMENT" });
    // Only the named field of that method.
    await expect(create({ name: "a\nb" })).rejects.toMatchObject({ kind: "INVALID_ARGUMENT" });
    await expect(client.UpdateProduct({ id: "p1", version: 1, description: "a\nb" })).rejects.toMatchObject({
      kind: "INVALID_ARGUMENT",
    });
  });

  it("when strings are ordinary text, then the call goes through", async () => {
    const p = await create({ name: "Tisch — 😀 café", description: "" });
    expect(p.name).toBe("Tisch — 😀 café");
  });

  it("when a message nests deeply, then the walk finds the control character without recursion", () => {
    let deep: unknown = "x\u0000";
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(findControlCharacter(deep)).toMatch(/^(\/a){100000}$/);
    expect(findControlCharacter({ "k\u0000": 1 })).toBe("/k%00");
    expect(findControlCharacter({ b: Buffer.from([0]) })).toBeUndefined();
  });
});
