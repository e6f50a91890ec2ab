import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";

/**
 * The OpenAPI 3 document, built from the route schemas (`/docs/json`), and Swagger UI (`/docs`).
 * Must be registered before the routes it describes. Operational routes are hidden.
 */
export function registerDocs(app: FastifyInstance): void {
  app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "Shop API",
        version: "1.0.0",
        description:
          "Public HTTP API of the shop. Errors are application/problem+json (RFC 9457). " +
          "Lists take ?limit (1-100, default 20) and an opaque ?cursor.",
      },
      tags: [
        { name: "auth", description: "Accounts and tokens" },
        { name: "products", description: "Catalog" },
        { name: "orders", description: "Orders" },
        { name: "notifications", description: "Notifications" },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: "http",
            scheme: "bearer",
            bearerFormat: "JWT",
            description: "access token from /api/v1/auth/login",
          },
        },
      },
    },
  });
  app.register(swaggerUi, { routePrefix: "/docs", uiConfig: { deepLinking: false } });
}
