import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./support/gateway.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(() => gw.close());

/** Every operation of the public contract (shared/spec/http-api.md), in OpenAPI path syntax. */
const CONTRACT: [string, string][] = [
  ["post", "/api/v1/auth/register"],
  ["post", "/api/v1/auth/login"],
  ["post", "/api/v1/auth/refresh"],
  ["post", "/api/v1/auth/logout"],
  ["get", "/api/v1/auth/me"],
  ["get", "/.well-known/jwks.json"],
  ["post", "/api/v1/auth/verify-email"],
  ["post", "/api/v1/auth/forgot-password"],
  ["post", "/api/v1/auth/reset-password"],
  ["get", "/api/v1/products"],
  ["get", "/api/v1/products/{id}"],
  ["post", "/api/v1/products"],
  ["patch", "/api/v1/products/{id}"],
  ["delete", "/api/v1/products/{id}"],
  ["post", "/api/v1/orders"],
  ["get", "/api/v1/orders/{id}"],
  ["get", "/api/v1/orders"],
  ["get", "/api/v1/notifications"],
  ["put", "/api/v1/notifications/telegram"],
];

describe("OpenAPI document", () => {
  it("when /docs/json is fetched, then it is OpenAPI 3 and lists every contract operation", async () => {
    const res = await gw.app.inject({ url: "/docs/json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const [method, path] of CONTRACT) {
      expect(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`).toBeDefined();
    }
  });

  it("when the document is read, then bearer auth is declared and used by signed-in routes only", async () => {
    const doc = (await gw.app.inject({ url: "/docs/json" })).json();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.paths["/api/v1/orders"].post.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths["/api/v1/products"].get.security).toBeUndefined();
  });

  it("when the document is read, then bodies, parameters and responses come from the route schemas", async () => {
    const doc = (await gw.app.inject({ url: "/docs/json" })).json();
    const create = doc.paths["/api/v1/products"].post;
    const body = create.requestBody.content["application/json"].schema;
    expect(body.additionalProperties).toBe(false);
    expect(body.required).toEqual(expect.arrayContaining(["sku", "name", "priceCents", "stock"]));
    expect(create.responses["201"].content["application/json"].schema.properties).toHaveProperty("version");
    expect(create.responses["403"].content["application/problem+json"]).toBeDefined();
    const list = doc.paths["/api/v1/products"].get.parameters.map((p: { name: string }) => p.name);
    expect(list).toEqual(expect.arrayContaining(["limit", "cursor", "q"]));
  });

  it("when the document is read, then operational routes are not in it", async () => {
    const doc = (await gw.app.inject({ url: "/docs/json" })).json();
    for (const hidden of ["/healthz", "/readyz", "/metrics"]) expect(doc.paths[hidden]).toBeUndefined();
    expect(Object.keys(doc.paths).some((p) => p.startsWith("/docs"))).toBe(false);
  });

  it("when /docs is opened, then Swagger UI is served", async () => {
    const res = await gw.app.inject({ url: "/docs" });
    const page = res.statusCode === 302 ? await gw.app.inject({ url: String(res.headers.location) }) : res;
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("swagger");
  });
});
