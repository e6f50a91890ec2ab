import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { type AppError, ConfigError, createLogger, createMetricsRegistry } from "@shop/platform";
import { testTlsConfig } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGrpcClient } from "../src/client.js";
import type { GrpcClientCredentials } from "../src/credentials.js";
import { loadGrpcCredentials, sslClient } from "../src/credentials.js";
import { protos } from "../src/protos.js";
import { createGrpcServer } from "../src/server.js";

const logger = createLogger({ service: "grpc-mtls-test", level: "silent" });
const server = createGrpcServer({
  logger,
  metrics: createMetricsRegistry("grpc-mtls-test"),
  credentials: loadGrpcCredentials(testTlsConfig("product")).server(["gateway", "order"]),
});
server.addService(
  protos().product.ProductService.service,
  {
    GetProduct: async (req) => ({ id: req.id, name: "p", priceCents: 1 }) as never,
    GetProducts: async () => ({ items: [] }),
    ListProducts: async () => ({ items: [], nextCursor: "" }),
    CreateProduct: async () => ({}) as never,
    UpdateProduct: async () => ({}) as never,
    DeleteProduct: async () => ({}),
  },
  "shop.product.v1.ProductService",
);
let address = "";

beforeAll(async () => {
  address = `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
});
afterAll(() => server.shutdown(1_000));

/** GetProduct with the given channel credentials; the error's kind, or "OK". */
async function callWith(credentials: GrpcClientCredentials): Promise<string> {
  const client = createGrpcClient(protos().product.ProductService, address, {
    credentials,
    deadlineMs: 3_000,
  });
  try {
    await client.GetProduct({ id: "p1" });
    return "OK";
  } catch (err) {
    return (err as AppError).kind;
  } finally {
    client.close();
  }
}

/** Trusts the CA (so the server's certificate verifies) but shows no certificate of its own. */
const trustingCa = () =>
  sslClient(grpc.credentials.createSsl(readFileSync(testTlsConfig("gateway").grpcTlsCaFile)), "product");

describe("gRPC mutual TLS", () => {
  it("when a client shows a certificate of the CA whose name is allowed, then the call succeeds", async () => {
    expect(await callWith(loadGrpcCredentials(testTlsConfig("gateway")).client("product"))).toBe("OK");
    expect(await callWith(loadGrpcCredentials(testTlsConfig("order")).client("product"))).toBe("OK");
  });

  it("when a client has no certificate, then the handshake fails and the call is UNAVAILABLE", async () => {
    expect(await callWith(trustingCa())).toBe("UNAVAILABLE");
  });

  it("when a plaintext client calls, then the call is UNAVAILABLE", async () => {
    expect(await callWith({ credentials: grpc.credentials.createInsecure(), options: {} })).toBe(
      "UNAVAILABLE",
    );
  });

  it("when a client's certificate comes from another CA, then the call is UNAVAILABLE", async () => {
    const other = testTlsConfig("gateway", { issuer: "other" });
    const [ca, key, cert] = [other.grpcTlsCaFile, other.grpcTlsKeyFile, other.grpcTlsCertFile].map((f) =>
      readFileSync(f),
    );
    expect(await callWith(sslClient(grpc.credentials.createSsl(ca, key, cert), "product"))).toBe(
      "UNAVAILABLE",
    );
  });

  it("when the server's certificate does not name the service the client expects, then the call is UNAVAILABLE", async () => {
    expect(await callWith(loadGrpcCredentials(testTlsConfig("gateway")).client("payment"))).toBe(
      "UNAVAILABLE",
    );
  });

  it("when a valid certificate names a caller the server does not accept, then it is PERMISSION_DENIED", async () => {
    expect(await callWith(loadGrpcCredentials(testTlsConfig("intruder")).client("product"))).toBe(
      "PERMISSION_DENIED",
    );
  });

  it("when a caller the server does not accept checks health, then it is answered over the same TLS", async () => {
    const credentials = loadGrpcCredentials(testTlsConfig("intruder")).client("product");
    const health = createGrpcClient(protos().health.Health, address, { credentials });
    expect(await health.Check({ service: "" })).toEqual({ status: "SERVING" });
    health.close();
  });
});

describe("loading the credentials", () => {
  const valid = testTlsConfig("payment");

  it("when TLS is on and a file is unset or unreadable, then a ConfigError names the variable", () => {
    expect(() => loadGrpcCredentials({ ...valid, grpcTlsCaFile: "" })).toThrow(
      /GRPC_TLS_CA_FILE is required/,
    );
    expect(() => loadGrpcCredentials({ ...valid, grpcTlsCertFile: "/nonexistent/payment.crt" })).toThrow(
      ConfigError,
    );
    expect(() => loadGrpcCredentials({ ...valid, grpcTlsKeyFile: "/nonexistent/payment.key" })).toThrow(
      /GRPC_TLS_KEY_FILE cannot be read/,
    );
  });

  it("when the key does not belong to the certificate or the certificate to the CA, then the start stops", () => {
    const order = testTlsConfig("order");
    expect(() => loadGrpcCredentials({ ...valid, grpcTlsKeyFile: order.grpcTlsKeyFile })).toThrow(
      /GRPC_TLS_KEY_FILE does not belong/,
    );
    const foreign = testTlsConfig("payment", { issuer: "other" });
    expect(() => loadGrpcCredentials(foreign)).toThrow(
      /GRPC_TLS_CERT_FILE is not issued by GRPC_TLS_CA_FILE/,
    );
    const junk = join(mkdtempSync(join(tmpdir(), "grpc-junk-")), "junk.pem");
    writeFileSync(junk, "not a certificate");
    expect(() => loadGrpcCredentials({ ...valid, grpcTlsCaFile: junk })).toThrow(
      /GRPC_TLS_CA_FILE is not a PEM/,
    );
  });

  it("when TLS is off, then no file is needed and the credentials are plaintext", () => {
    const creds = loadGrpcCredentials({
      grpcTls: "off",
      grpcTlsCaFile: "",
      grpcTlsCertFile: "",
      grpcTlsKeyFile: "",
    });
    expect(creds.tls).toBe(false);
    expect(creds.server(["gateway"]).interceptors).toEqual([]);
  });
});
