import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { type ClosedLoopResult, runClosedLoop } from "../load/closed-loop.js";
import { createHttpClient } from "../load/http-client.js";
import { metricValue, readMetricsText } from "../report/service-metrics.js";
import { summarise } from "../stats/percentiles.js";

export interface ReadPathResult {
  path: string;
  /** The median round's (see `rounds`). */
  bare: ClosedLoopResult;
  gateway: ClosedLoopResult;
  /** Gateway throughput as a share of the bare route's, in the median round. */
  ratio: number;
  /** Every round, the bare route then the gateway, in the order run. */
  rounds?: ReadPathRound[];
  /** The gateway's product near cache over its run (warm-up included), when its /metrics answered. */
  nearCache?: NearCacheCounts;
}

export interface ReadPathRound {
  bare: number;
  gateway: number;
  ratio: number;
}

/**
 * The round whose ratio is the median (the lower middle one of an even count): a round that a
 * shared machine slowed on one side only moves the ratio least this way.
 */
export function medianRound<T extends { ratio: number }>(rounds: readonly T[]): T {
  if (rounds.length === 0) throw new Error("no rounds");
  const sorted = [...rounds].sort((a, b) => a.ratio - b.ratio);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
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
    const v = metricValue(text, "gateway_product_cache_requests_total", `result="${result}"`);
    if (v === undefined) return undefined;
    counts[result] = v;
  }
  return counts;
}

async function nearCacheCounts(metricsUrl: string | undefined): Promise<NearCacheCounts | undefined> {
  if (metricsUrl === undefined) return undefined;
  const text = await readMetricsText(metricsUrl);
  return text === undefined ? undefined : parseNearCacheCounts(text);
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

async function measure(origin: string, path: string, connections: number, durationMs: number, warmUp = true) {
  const api = createHttpClient(origin, { connections, timeoutMs: 10_000 });
  try {
    // A short warm-up, so both sides are measured with JIT-compiled hot paths and open sockets.
    if (warmUp) {
      await runClosedLoop(connections, Math.min(2_000, durationMs / 4), async () => {
        return (await api.request("GET", path)).status === 200;
      });
    }
    return await runClosedLoop(connections, durationMs, async () => {
      return (await api.request("GET", path)).status === 200;
    });
  } finally {
    await api.close();
  }
}

/**
 * `GET /api/v1/products/:id` through the gateway (JWT-less public read: rate limit, then the
 * gateway's near cache; on a miss gRPC to the product service and its Redis cache) against a bare
 * Fastify route answering the same body, both at maximum throughput with the same closed-loop
 * client. The time is split into `rounds` of the bare route then the gateway, and the median
 * round's ratio decides, so that the machine slowing down during one side's run (the figure of
 * the bare route alone moves by half between runs on a shared VM) does not decide it.
 */
export async function measureReadPath(opts: {
  gatewayUrl: string;
  /** The gateway's admin port, where its /metrics answers (not the public port); none: no counts. */
  gatewayMetricsUrl?: string | undefined;
  productId: string;
  connections: number;
  durationMs: number;
  /** Rounds of bare then gateway, `durationMs` split among them (default 1). */
  rounds?: number;
  /** Only load the gateway (the bare server's figures are then zero). */
  skipBare?: boolean;
}): Promise<ReadPathResult> {
  const path = `/api/v1/products/${opts.productId}`;
  const probe = createHttpClient(opts.gatewayUrl, { connections: 1, timeoutMs: 10_000 });
  const sample = await probe.request("GET", path);
  await probe.close();
  if (sample.status !== 200) throw new Error(`GET ${path}: HTTP ${sample.status}`);

  const idle: ClosedLoopResult = {
    connections: opts.connections,
    seconds: 0,
    requests: 0,
    errors: 0,
    perSecond: 0,
    latencyMs: summarise([]),
  };
  const roundCount = opts.skipBare ? 1 : Math.max(1, opts.rounds ?? 1);
  const roundMs = opts.durationMs / roundCount;
  const bareServer = opts.skipBare ? undefined : await startBareServer(JSON.stringify(sample.body));
  const runs: { bare: ClosedLoopResult; gateway: ClosedLoopResult; ratio: number }[] = [];
  const before = await nearCacheCounts(opts.gatewayMetricsUrl);
  try {
    for (let i = 0; i < roundCount; i++) {
      const bare = bareServer
        ? await measure(`http://127.0.0.1:${bareServer.port}`, path, opts.connections, roundMs, i === 0)
        : idle;
      const gateway = await measure(opts.gatewayUrl, path, opts.connections, roundMs, i === 0);
      runs.push({ bare, gateway, ratio: gateway.perSecond / bare.perSecond });
    }
  } finally {
    if (bareServer) {
      bareServer.child.kill("SIGTERM");
      await once(bareServer.child, "exit");
    }
  }
  const after = await nearCacheCounts(opts.gatewayMetricsUrl);
  const nearCache =
    before && after
      ? { hit: after.hit - before.hit, miss: after.miss - before.miss, bypass: after.bypass - before.bypass }
      : undefined;
  const median = medianRound(runs);
  return {
    path,
    bare: median.bare,
    gateway: median.gateway,
    ratio: median.ratio,
    rounds: runs.map((r) => ({ bare: r.bare.perSecond, gateway: r.gateway.perSecond, ratio: r.ratio })),
    ...(nearCache ? { nearCache } : {}),
  };
}
