/**
 * The HTTP ceiling: a bare Fastify app with one route shaped like the gateway's product read,
 * answering a fixed body (given as BARE_BODY) with no auth, no downstream call, no logging.
 * Run as its own process, like the gateway, and prints its port on stdout.
 */
import Fastify from "fastify";

const body = process.env.BARE_BODY ?? '{"id":"x"}';
const app = Fastify({ logger: false });
app.get("/api/v1/products/:id", async (_req, reply) => {
  reply.header("content-type", "application/json; charset=utf-8");
  return body;
});
const address = await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`listening ${new URL(address).port}\n`);
process.on("SIGTERM", () => {
  void app.close().then(() => process.exit(0));
});
