import { EventEmitter, once } from "node:events";
import { Counter, Gauge, type Logger, type Redis, type Registry } from "@shop/platform";
import { type ProductChange, parseProductChange } from "./product-changes.js";

/** What the cache needs of a product: its id and the version the catalog bumps on every change. */
export interface Versioned {
  id: string;
  version: number;
}

export interface NearCacheOptions {
  /** Duplicated into a subscriber connection of the cache's own. */
  redis: Redis;
  /**
   * Where the product service announces the changes this reader cares about: every change
   * (`PRODUCT_CHANGES_CHANNEL`), or only those to what a product is and costs
   * (`catalogChangesChannel(...)`, for readers that keep no stock figures).
   */
  channel: string;
  /** Longest an entry is served without a new read: the safety net under the announcements. */
  ttlMs: number;
  maxEntries: number;
  /** Name of the subscriber connection in Redis's CLIENT LIST. */
  connectionName?: string;
  /** Prefix of the cache's metric names and connection name: the reading service's name. */
  metricPrefix: string;
  logger: Logger;
  metrics: Registry;
  now?: () => number;
}

interface Entry<T> {
  /** Absent in a fence: an announced version not yet read. */
  value?: T;
  /** Nothing older than this version may be stored. */
  floor: number;
  expiresAt: number;
}

/**
 * Products in a reader's memory (the gateway's product pages, the order service's prices), kept
 * fresh by the product service's change announcements on Redis pub/sub (see product-changes).
 * The rules that keep it from serving a stale product:
 * - Only while subscribed. Pub/sub is at most once, so when the subscriber connection closes
 *   everything is forgotten and nothing is cached until it has subscribed again.
 * - An announcement of version v removes older entries and leaves a fence: nothing older than v
 *   may be stored until the entry expires. The catalog announces some changes (the saga's stock
 *   moves) just before it commits them, so a read in between still sees v-1; the fence keeps it out.
 * - A read that was in flight when its product changed, or when the cache was cleared, is not
 *   stored, whatever version it brought: it may have been answered before the change.
 * - Concurrent misses for one product share one read; a request arriving after an announcement
 *   never joins a read that started before it.
 * Announcements reach every reader before the writer's reply leaves the catalog, so a client
 * that changed a product through one gateway and reads it through another sees its change unless
 * the second reader's subscriber lags behind the client (a local hop against several network
 * hops); `ttlMs` bounds any other staleness (a subscriber cut off without noticing).
 */
export function createNearCache<T extends Versioned>(opts: NearCacheOptions) {
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: "product-near-cache" });
  const prefix = opts.metricPrefix;
  const entries = new Map<string, Entry<T>>();
  const inflight = new Map<string, Promise<T>>();
  let subscribed = false;
  /** Bumped on every clear: reads begun before it are not stored. */
  let epoch = 0;
  /** "change" (each announcement, after it is applied), "subscribed" and "unsubscribed". */
  const events = new EventEmitter();

  const lookups = new Counter({
    name: `${prefix}_product_cache_requests_total`,
    help: "Product reads by near-cache result (hit, miss, bypass while not subscribed)",
    labelNames: ["result"],
    registers: [opts.metrics],
  });
  for (const result of ["hit", "miss", "bypass"]) lookups.inc({ result }, 0);
  new Gauge({
    name: `${prefix}_product_cache_entries`,
    help: "Products and fences held in the near cache",
    registers: [opts.metrics],
    collect() {
      this.set(entries.size);
    },
  });

  function clear(): void {
    entries.clear();
    inflight.clear();
    epoch += 1;
  }

  function set(id: string, entry: Entry<T>): void {
    entries.delete(id); // re-inserted last: the oldest insertion is evicted first
    entries.set(id, entry);
    if (entries.size > opts.maxEntries) entries.delete(entries.keys().next().value as string);
  }

  /** Applies an announced change: older entries go, a fence stays. */
  function changed(change: ProductChange): void {
    inflight.delete(change.id);
    const entry = entries.get(change.id);
    if (entry && entry.expiresAt > now() && entry.floor >= change.version) return;
    set(change.id, { floor: change.version, expiresAt: now() + opts.ttlMs });
  }

  /** Stores a product unless a newer version or fence is held. */
  function store(value: T): void {
    if (!subscribed) return;
    const entry = entries.get(value.id);
    if (entry && entry.expiresAt > now() && entry.floor > value.version) return;
    if (entry?.value && entry.expiresAt > now() && entry.value.version >= value.version) return;
    set(value.id, { value, floor: value.version, expiresAt: now() + opts.ttlMs });
  }

  const subscriber = opts.redis.duplicate({
    autoResubscribe: false,
    enableOfflineQueue: false,
    connectionName: opts.connectionName ?? `${prefix}-product-changes`,
  });
  subscriber.on("error", () => {}); // reconnects by itself; the cache is off meanwhile
  subscriber.on("close", () => {
    clear();
    if (!subscribed) return;
    log.warn("subscriber connection lost; near cache cleared and off until it is back");
    subscribed = false;
    events.emit("unsubscribed");
  });
  subscriber.on("ready", () => {
    subscriber.subscribe(opts.channel).then(
      () => {
        clear();
        subscribed = true;
        events.emit("subscribed");
      },
      (err) => log.warn({ err: String(err) }, "subscribing to product changes failed"),
    );
  });
  subscriber.on("message", (_channel: string, message: string) => {
    const change = parseProductChange(message);
    if (change) changed(change);
    else log.warn({ message }, "ignored a malformed product change announcement");
    events.emit("change", change);
  });

  return {
    /**
     * The product from memory, else from `read` (shared with concurrent misses for the same id)
     * and remembered. Errors of `read` pass through and are not remembered.
     */
    async get(id: string, read: () => Promise<T>): Promise<T> {
      if (!subscribed) {
        lookups.inc({ result: "bypass" });
        return read();
      }
      const entry = entries.get(id);
      if (entry?.value && entry.expiresAt > now()) {
        lookups.inc({ result: "hit" });
        return entry.value;
      }
      lookups.inc({ result: "miss" });
      const pending = inflight.get(id);
      if (pending) return pending;
      const startedIn = epoch;
      const reading = read().then((value) => {
        // Still ours: no announcement or clear took the id out of `inflight` meanwhile.
        if (inflight.get(id) === reading && epoch === startedIn) store(value);
        return value;
      });
      inflight.set(id, reading);
      const forget = () => {
        if (inflight.get(id) === reading) inflight.delete(id);
      };
      reading.then(forget, forget);
      return reading;
    },

    /** A product this reader has just written and read back (a create or an update). */
    wrote(value: T): void {
      inflight.delete(value.id);
      store(value);
    },

    /** A product this reader has just deleted: no version of it may be stored for a while. */
    deleted(id: string): void {
      changed({ id, version: Number.MAX_SAFE_INTEGER });
    },

    events,

    /** Resolves once subscribed, or after `timeoutMs` (Redis down: reads go to the catalog meanwhile). */
    async ready(timeoutMs: number): Promise<void> {
      if (subscribed) return;
      await once(events, "subscribed", { signal: AbortSignal.timeout(timeoutMs) }).catch(() => undefined);
    },

    /** True once subscribed: until then every read goes to the catalog. */
    get active(): boolean {
      return subscribed;
    },

    close(): void {
      subscribed = false; // a shutdown, not a lost connection
      subscriber.disconnect();
      clear();
    },
  };
}

export type NearCache<T extends Versioned> = ReturnType<typeof createNearCache<T>>;
