import type { FastifyInstance } from "fastify";
import type { AuthContext } from "../../domain/context.js";
import { getJwks } from "../../domain/get-jwks.js";

/** GET /.well-known/jwks.json: the public keys that verify access tokens (the gateway proxies it). */
export function registerJwksRoute(app: FastifyInstance, ctx: AuthContext): void {
  app.get(
    "/.well-known/jwks.json",
    {
      schema: {
        summary: "JSON Web Key Set that verifies access tokens",
        response: {
          200: {
            type: "object",
            required: ["keys"],
            properties: {
              keys: {
                type: "array",
                items: {
                  type: "object",
                  required: ["kty", "kid"],
                  properties: {
                    kty: { type: "string" },
                    crv: { type: "string" },
                    x: { type: "string" },
                    kid: { type: "string" },
                    alg: { type: "string" },
                    use: { type: "string" },
                  },
                  additionalProperties: false,
                },
              },
            },
            additionalProperties: false,
          },
        },
      },
    },
    async (_req, reply) => {
      // Short caching: a rotated-in key must reach verifiers well before its tokens do.
      reply.header("cache-control", "public, max-age=60");
      return getJwks(ctx);
    },
  );
}
