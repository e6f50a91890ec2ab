import { gzipSync } from "node:zlib";
import { describe, expect, inject, it } from "vitest";

const BUDGET_BYTES = 150 * 1024;
const html = { accept: "text/html,application/xhtml+xml" };

async function get(path: string, headers: Record<string, string> = {}) {
  return fetch(`${inject("gatewayUrl")}${path}`, { headers });
}

describe("the gateway serving the storefront", () => {
  it("when / is asked for, then it answers index.html, never cached, with the security headers", async () => {
    const res = await get("/", html);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("content-security-policy")).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    );
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
  });

  it("when a page path is opened, then it gets index.html; API and non-HTML paths keep the 404 problem", async () => {
    const page = await get("/orders/12", html);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');

    for (const [path, headers] of [
      ["/api/v1/nowhere", html],
      ["/orders/12", { accept: "application/json" }],
      ["/assets/missing-ABC.js", {}],
    ] as const) {
      const res = await get(path, headers);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toMatch(/application\/problem\+json/);
    }
  });

  it("when the first page loads, then its JS and CSS are cached for good and weigh at most 150 KB gzipped", async () => {
    const index = await (await get("/", html)).text();
    const assets = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith(".js"))).toBe(true);
    expect(assets.some((a) => a.endsWith(".css"))).toBe(true);

    let gzipped = 0;
    for (const asset of assets) {
      const res = await get(asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get("cache-control"), asset).toMatch(/max-age=31536000.*immutable/);
      gzipped += gzipSync(Buffer.from(await res.arrayBuffer()), { level: 9 }).length;
    }
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });
});
