import { randomUUID } from "node:crypto";
import type { ApiClient, ClientFailure } from "./api-client.js";
import { type Random, sleep } from "./random.js";
import type { Shop } from "./seed.js";

export interface LoadStats {
  /** Distinct orders the client tried to place (retries with the same key count once). */
  attempted: number;
  /** Distinct order ids the API returned. */
  accepted: number;
  /** Attempts that never got an order id: the client saw an error every time. */
  failedAtClient: number;
  /** Failed requests by cause ("503", "timeout", "unreachable"), retries included. */
  failures: Record<string, number>;
  /** Requests sent again with the same Idempotency-Key (after a failure, or to check the key). */
  keyedRetries: number;
  /** A key answered with two different order ids: a broken idempotency guarantee. */
  idempotencyViolations: string[];
  orderIds: number[];
  durationMs: number;
}

export interface LoadOptions {
  api: ApiClient;
  shop: Shop;
  random: Random;
  ratePerSecond: number;
  maxInFlight?: number;
  /** Share of orders sent with an Idempotency-Key (retried with it after a failure). */
  keyedShare?: number;
  /** Share of orders with a line of a scarce product. */
  scarceShare?: number;
}

function causeOf(f: ClientFailure) {
  return "status" in f ? String(f.status) : f.network;
}

/**
 * A steady stream of orders from several customers: 1-3 lines of mixed quantities, some for
 * scarce products, some sent with an Idempotency-Key. A keyed order that fails is retried with
 * the same key, as a careful client would; an unkeyed one is just counted as failed.
 */
export function startLoad(opts: LoadOptions) {
  const { api, shop, random } = opts;
  const plentiful = shop.products.filter((p) => !p.scarce);
  const scarce = shop.products.filter((p) => p.scarce);
  const stats: LoadStats = {
    attempted: 0,
    accepted: 0,
    failedAtClient: 0,
    failures: {},
    keyedRetries: 0,
    idempotencyViolations: [],
    orderIds: [],
    durationMs: 0,
  };
  const ids = new Set<number>();
  const inFlight = new Set<Promise<void>>();
  let stopWhen: () => boolean = () => false;
  const started = Date.now();

  function items() {
    const lines = new Map<string, number>();
    const count = random.int(1, 3);
    for (let i = 0; i < count; i++)
      lines.set(random.pick(plentiful).id, random.chance(0.1) ? 5 : random.int(1, 3));
    if (scarce.length > 0 && random.chance(opts.scarceShare ?? 0.2))
      lines.set(random.pick(scarce).id, random.int(1, 2));
    return [...lines].map(([productId, quantity]) => ({ productId, quantity }));
  }

  function failed(f: ClientFailure) {
    const cause = causeOf(f);
    stats.failures[cause] = (stats.failures[cause] ?? 0) + 1;
  }

  function accepted(id: number) {
    if (ids.has(id)) return;
    ids.add(id);
    stats.orderIds.push(id);
    stats.accepted += 1;
  }

  async function placeOne() {
    const customer = random.pick(shop.customers);
    const lines = items();
    const key = random.chance(opts.keyedShare ?? 0.3) ? randomUUID() : undefined;
    stats.attempted += 1;
    for (let attempt = 1; ; attempt++) {
      const res = await api.placeOrder(customer.token, lines, key);
      if ("id" in res) {
        accepted(res.id);
        // Now and then send it again: the same key must give the same order.
        if (key && random.chance(0.2)) {
          stats.keyedRetries += 1;
          const again = await api.placeOrder(customer.token, lines, key);
          if ("id" in again && again.id !== res.id)
            stats.idempotencyViolations.push(`key ${key}: order ${res.id}, then ${again.id}`);
        }
        return;
      }
      failed(res);
      if (!key || attempt >= 4 || ("status" in res && res.status < 500 && res.status !== 429)) {
        stats.failedAtClient += 1;
        return;
      }
      stats.keyedRetries += 1;
      await sleep(500 * 2 ** attempt);
    }
  }

  async function run() {
    const interval = 1_000 / opts.ratePerSecond;
    let next = Date.now();
    while (!stopWhen()) {
      if (inFlight.size < (opts.maxInFlight ?? 64)) {
        const p: Promise<void> = placeOne().finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      next += interval;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
      // Behind by more than a second (the client was blocked): do not burst to catch up.
      else if (wait < -1_000) next = Date.now();
    }
    while (inFlight.size > 0) await Promise.all([...inFlight]);
    stats.durationMs = Date.now() - started;
    return stats;
  }

  const done = run();
  return {
    stats,
    /** Stops placing orders once `condition` holds, then waits for the requests in flight. */
    stop(condition: () => boolean = () => true): Promise<LoadStats> {
      stopWhen = condition;
      return done;
    },
  };
}

export type Load = ReturnType<typeof startLoad>;
