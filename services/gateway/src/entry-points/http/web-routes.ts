import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { Logger } from "@shop/platform";
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";

/**
 * Pages only talk to this origin; no inline script or style, so an injected `<script>` cannot run.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join("; ");

/** Paths that belong to the API and operations: never answered with the storefront's page. */
const NOT_PAGES = /^\/(api|docs|\.well-known)(\/|$)/;

/** Hashed file names change with their content, so a browser may keep them for good. */
const ASSET_MAX_AGE = "365d";

function wantsHtml(req: FastifyRequest): boolean {
  return (req.headers.accept ?? "").includes("text/html");
}

/**
 * The storefront's built files from `root`: `/assets/*` cached for good, and `index.html` (never
 * cached) for `/` and for any other page path a browser navigates to, since the front end routes
 * on the client. Absent files leave `/` to the ordinary 404 problem, so a gateway without a built
 * front end still starts.
 */
export function webRoutes(root: string, logger: Logger): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    if (!root || !existsSync(join(root, "index.html"))) {
      logger.warn({ webRoot: root }, "no storefront build found: / is not served");
      return;
    }
    await app.register(fastifyStatic, { root, serve: false });

    app.addHook("onSend", async (_req, reply) => {
      reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
      reply.header("x-content-type-options", "nosniff");
      reply.header("referrer-policy", "same-origin");
    });

    const sendPage = (reply: FastifyReply) =>
      reply.header("cache-control", "no-cache").sendFile("index.html", { cacheControl: false });

    app.get("/assets/*", { schema: { hide: true } }, (req, reply) => {
      const file = (req.params as { "*": string })["*"];
      return reply.sendFile(`assets/${file}`, { maxAge: ASSET_MAX_AGE, immutable: true });
    });
    app.get("/", { schema: { hide: true } }, (_req, reply) => sendPage(reply));
    // Decided on request, before any other hook: an API path or a non-page request is an
    // unknown route exactly as it would be without the storefront.
    app.get(
      "/*",
      {
        schema: { hide: true },
        onRequest: (req, reply, done) =>
          NOT_PAGES.test(req.url) || !wantsHtml(req) ? reply.callNotFound() : done(),
      },
      (_req, reply) => sendPage(reply),
    );
  };
}
