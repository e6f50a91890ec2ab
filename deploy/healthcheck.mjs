// Docker HEALTHCHECK of a service image: GET /healthz on the service's HTTP port (slim images
// have no curl). The port is the one the service itself reads, else its default.
const defaults = { gateway: 8080, auth: 8081, product: 8082, order: 8083, payment: 8084, notification: 8085 };
const service = process.env.SERVICE ?? "";
const port =
  (service === "gateway" ? process.env.GATEWAY_PORT : process.env.HTTP_PORT) || defaults[service] || 8080;

try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthz on :${port} failed: ${err.message}`);
  process.exit(1);
}
