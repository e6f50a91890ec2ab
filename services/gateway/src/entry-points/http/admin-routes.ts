import { PROBLEM_CONTENT_TYPE, problem, type Registry } from "@shop/platform";
import type { FastifyInstance } from "fastify";

/**
 * The shared HTTP app serves `/metrics` on every service's port; on the gateway's public port it
 * would hand anyone the internals (routes, downstream health, cache sizes). There it answers the
 * same 404 as any unknown route; the admin port serves it.
 */
export function withholdMetrics(app: FastifyInstance): void {
  app.addHook("onRequest", async (req, reply) => {
    if (req.routeOptions.url === "/metrics") return reply.callNotFound();
  });
}

/** `/metrics` and `/healthz` on the admin port; anything else is a problem+json 404. */
export function registerAdminRoutes(app: FastifyInstance, metrics: Registry): void {
  app.get("/metrics", async (_req, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));
  app.get("/healthz", async () => ({ status: "ok" }));
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problem(404, "Not Found", `no route for ${req.method} ${req.url.split("?")[0]}`)),
  );
}
