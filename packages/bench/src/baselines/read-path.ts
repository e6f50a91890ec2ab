import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { type ClosedLoopResult, runClosedLoop } from "../load/closed-loop.js";
import { createHttpClient } from "../load/http-client.js";
import { summarise } from "../stats/percentiles.js";

export interface ReadPathResult {
  path: string;
  bare: ClosedLoopResult;
  gateway: ClosedLoopResult;
  /** Gateway throughput as a share of the bare route's. */
  ratio: number;
  /** The gateway's product near cache over its run (warm-up included), when its /metrics answered. */
  nearCache?: NearCacheCounts;
}

export interface NearCacheCounts {
  hit: number;
  miss: number;
  bypass: number;
}

/** The gateway's `gateway_product_cache_requests_total` by result, from its /metrics text. */
export function parseNearCacheCounts(text: string): NearCacheCounts | undefined {
  const counts = { hit: 0, miss: 0, bypass: 0 };
  for (const result of Object.keys(counts) as (keyof NearCacheCounts)[]) {
    const m = new RegExp(
      `^gateway_product_cache_requests_total\\{[^}]*result="${result}"[^}]*\\} (\\d+)`,
      "m",
    ).exec(text);
    if (!m) return undefined;
    counts[result] = Number(m[1]);
  }
  return counts;
}

async function nearCacheCounts(gatewayUrl: string): Promise<NearCacheCounts | undefined> {
  try {
    const res = await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return res.ok ? parseNearCacheCounts(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

async function startBareServer(body: string) {
  const child = spawn(process.execPath, [fileURLToPath(new URL("./bare-server.js", import.meta.url))], {
    env: { PATH: process.env.PATH ?? "", BARE_BODY: body },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    const m = /listening (\d+)/.exec(out);
    if (m) return { port: Number(m[1]), child };
  }
  throw new Error(`bare server exited: ${out}`);
}

async function measure(origin: string, path: string, connections: number, durationMs: number) {
  const api = createHttpClient(origin, { connections, timeoutMs: 10_000 });
  try {
    // A short warm-up, so both sides are measured with JIT-compiled hot paths and open sockets.
    await runClosedLoop(connections, Math.min(2_000, durationMs / 4), async () => {
      return (await api.request("GET", path)).status === 200;
    });
    return await runClosedLoop(connections, durationMs, async () => {
      return (await api.request("GET", path)).status === 200;
    });
  } finally {
    await api.close();
  }
}

/**
 * `GET /api/v1/products/:id` through the gateway (JWT-less public read: rate limit, then the
 * gateway's near cache; on a miss gRPC to the product service and its Redis cache) against a bare Fastify route answering the same body, both
 * at maximum throughput with the same closed-loop client.
 */
export async function measureReadPath(opts: {
  gatewayUrl: string;
  productId: string;
  connections: number;
  durationMs: number;
  /** Only load the gateway (the bare server's figures are then zero). */
  skipBare?: boolean;
}): Promise<ReadPathResult> {
  const path = `/api/v1/products/${opts.productId}`;
  const probe = createHttpClient(opts.gatewayUrl, { connections: 1, timeoutMs: 10_000 });
  const sample = await probe.request("GET", path);
  await probe.close();
  if (sample.status !== 200) throw new Error(`GET ${path}: HTTP ${sample.status}`);

  let bare: ClosedLoopResult = {
    connections: opts.connections,
    seconds: 0,
    requests: 0,
    errors: 0,
    perSecond: 0,
    latencyMs: summarise([]),
  };
  if (!opts.skipBare) {
    const bareServer = await startBareServer(JSON.stringify(sample.body));
    try {
      bare = await measure(`http://127.0.0.1:${bareServer.port}`, path, opts.connections, opts.durationMs);
    } finally {
      bareServer.child.kill("SIGTERM");
      await once(bareServer.child, "exit");
    }
  }
  const before = await nearCacheCounts(opts.gatewayUrl);
  const gateway = await measure(opts.gatewayUrl, path, opts.connections, opts.durationMs);
  const after = await nearCacheCounts(opts.gatewayUrl);
  const nearCache =
    before && after
      ? { hit: after.hit - before.hit, miss: after.miss - before.miss, bypass: after.bypass - before.bypass }
      : undefined;
  return {
    path,
    bare,
    gateway,
    ratio: gateway.perSecond / bare.perSecond,
    ...(nearCache ? { nearCache } : {}),
  };
}
