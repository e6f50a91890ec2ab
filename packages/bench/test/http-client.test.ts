import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpClient, RequestTimeout } from "../src/load/http-client.js";

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/never") return; // holds the request open until the client gives up
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("http client", () => {
  it("answers with status and parsed JSON, and leaves no timer behind", async () => {
    const api = createHttpClient(origin, { connections: 4, timeoutMs: 60_000 });
    try {
      await api.request("GET", "/warm"); // the pool's own timers exist from here on
      const before = timers();
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => api.request("GET", `/p/${i}`)));
      expect(replies[7]).toEqual({ status: 200, body: { path: "/p/7" } });
      // Each request's timeout is cleared with its answer: one left running per request would
      // show here, keep the process alive and fire long after the request was done.
      expect(timers()).toBeLessThanOrEqual(before);
    } finally {
      await api.close();
    }
  });

  it("gives up on a request without a response after the timeout", async () => {
    const api = createHttpClient(origin, { connections: 1, timeoutMs: 200 });
    try {
      await expect(api.request("GET", "/never")).rejects.toBeInstanceOf(RequestTimeout);
    } finally {
      await api.close();
    }
  });
});
