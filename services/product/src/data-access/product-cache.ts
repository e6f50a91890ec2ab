import { catalogChangesChannel, PRODUCT_CHANGES_CHANNEL } from "@shop/events";
import { Counter, type Logger, type Redis, type Registry } from "@shop/platform";
import type { Product, Touched } from "../domain/product.js";

export interface ProductCacheOptions {
  redis: Redis;
  logger: Logger;
  metrics: Registry;
  ttlSeconds: number;
  /** How long an invalidation keeps older versions out; must outlast any database read. */
  fenceTtlSeconds: number;
  /** A Redis call slower than this counts as an error and the caller reads the database. */
  timeoutMs: number;
  keyPrefix?: string;
  /** Pub/sub channel of change announcements (default PRODUCT_CHANGES_CHANNEL). */
  changesChannel?: string;
}

/*
 * Why a plain DEL is not enough: a reader that missed, read version 5 from the database and was
 * then delayed, would write version 5 back after a writer committed version 6 and deleted the
 * key — and the cache would lie until the TTL ran out. So entries carry their version, as
 * "<version>|<json>", and an invalidation does not delete: it writes a fence "<version>|" with the
 * version the write produced. A reader may only store a product whose version is not older than
 * what the key holds, checked and written atomically in Redis. The database bumps `version` on
 * every change, so "not older" means "not stale".
 *
 * The same argument makes a fence written BEFORE the commit safe (used by event handlers, whose
 * transaction is committed by the consumer after they return): until the commit, readers see
 * the old version in the database, which the fence keeps out; after it they see the new one.
 */
const STORE_IF_NOT_OLDER = `
local cur = redis.call('GET', KEYS[1])
local v = tonumber(ARGV[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  local cv = tonumber(string.sub(cur, 1, sep - 1))
  local fence = sep == #cur
  if cv > v or (cv == v and not fence) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
return 1
`;

// Announces the change to in-memory readers (see @shop/events product-changes) in the same step,
// whether or not the fence is needed here: a reader may have stored the new version already. A
// change to what the product is or costs is announced on the catalog channel (ARGV[5]) as well.
const FENCE = `
redis.call('PUBLISH', ARGV[3], ARGV[1] .. '|' .. ARGV[4])
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[1] .. '|' .. ARGV[4]) end
local cur = redis.call('GET', KEYS[1])
local v = tonumber(ARGV[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  if tonumber(string.sub(cur, 1, sep - 1)) >= v then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|', 'EX', ARGV[2])
return 1
`;

interface CacheCommands {
  productStore(key: string, version: number, json: string, ttl: number): Promise<number>;
  productFence(
    key: string,
    version: number,
    ttl: number,
    channel: string,
    id: string,
    catalogChannel: string,
  ): Promise<number>;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis call timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Cache-aside for products by id. Redis is an optimisation only: every failure is logged at warn,
 * counted, and answered as a miss, so callers fall back to the database.
 */
export function createProductCache(opts: ProductCacheOptions) {
  const prefix = opts.keyPrefix ?? "product:v1:";
  const channel = opts.changesChannel ?? PRODUCT_CHANGES_CHANNEL;
  const catalogChannel = catalogChangesChannel(channel);
  const log = opts.logger.child({ component: "product-cache" });
  // Sent as EVALSHA, falling back to EVAL after a Redis restart flushed the script cache.
  opts.redis.defineCommand("productStore", { numberOfKeys: 1, lua: STORE_IF_NOT_OLDER });
  opts.redis.defineCommand("productFence", { numberOfKeys: 1, lua: FENCE });
  const redis = opts.redis as Redis & CacheCommands;
  const requests = new Counter({
    name: "product_cache_requests_total",
    help: "Product cache lookups by result (hit, miss, error)",
    labelNames: ["result"],
    registers: [opts.metrics],
  });
  const invalidations = new Counter({
    name: "product_cache_invalidations_total",
    help: "Product cache invalidations by result (ok, error)",
    labelNames: ["result"],
    registers: [opts.metrics],
  });
  // Every series exists from the start, so a dashboard's hit ratio is defined before the first miss.
  for (const result of ["hit", "miss", "error"]) requests.inc({ result }, 0);
  for (const result of ["ok", "error"]) invalidations.inc({ result }, 0);
  const key = (id: string) => `${prefix}${id}`;

  return {
    /** The cached products among `ids` (a Map by id); misses and errors are simply absent. */
    async getMany(ids: string[]): Promise<Map<string, Product>> {
      const found = new Map<string, Product>();
      if (ids.length === 0) return found;
      let values: (string | null)[];
      try {
        values = await withTimeout(redis.mget(ids.map(key)), opts.timeoutMs);
      } catch (err) {
        requests.inc({ result: "error" }, ids.length);
        log.warn({ err: String(err) }, "cache read failed; reading the database");
        return found;
      }
      values.forEach((value, i) => {
        const sep = value?.indexOf("|") ?? -1;
        if (value && sep >= 0 && sep < value.length - 1) {
          found.set(ids[i]!, JSON.parse(value.slice(sep + 1)) as Product);
          requests.inc({ result: "hit" });
        } else {
          requests.inc({ result: "miss" });
        }
      });
      return found;
    },

    /** Stores products read from the database, unless the key already holds a newer version. */
    async store(products: Product[]): Promise<void> {
      if (products.length === 0) return;
      try {
        await withTimeout(
          Promise.all(
            products.map((p) => redis.productStore(key(p.id), p.version, JSON.stringify(p), opts.ttlSeconds)),
          ),
          opts.timeoutMs,
        );
      } catch (err) {
        log.warn({ err: String(err) }, "cache write failed");
      }
    },

    /**
     * Fences each product at the version its write produced (see above) and announces the change
     * on the channel, and on the catalog channel too when `catalog` (the write changed what the
     * product is or costs, not only its stock); never throws.
     */
    async invalidate(touched: Touched[], { catalog = false }: { catalog?: boolean } = {}): Promise<void> {
      if (touched.length === 0) return;
      const alsoTo = catalog ? catalogChannel : "";
      try {
        await withTimeout(
          Promise.all(
            touched.map((t) =>
              redis.productFence(key(t.id), t.version, opts.fenceTtlSeconds, channel, t.id, alsoTo),
            ),
          ),
          opts.timeoutMs,
        );
        invalidations.inc({ result: "ok" }, touched.length);
      } catch (err) {
        // The entry may outlive the write until its TTL; the version fence cannot be set now.
        invalidations.inc({ result: "error" }, touched.length);
        log.warn({ err: String(err), ids: touched.map((t) => t.id) }, "cache invalidation failed");
      }
    },
  };
}

export type ProductCache = ReturnType<typeof createProductCache>;
