import type { EventEnvelope } from "@shop/events";
import type { Logger, Queryable, Sql } from "@shop/platform";
import type { ProductCache } from "../data-access/product-cache.js";
import type { ProductRepository } from "../data-access/product-repository.js";
import type { ReservationRepository } from "../data-access/reservation-repository.js";

/** Writes events in the caller's transaction (the transactional outbox). */
export interface EventOutbox {
  enqueue(tx: Queryable, events: EventEnvelope | EventEnvelope[]): Promise<void>;
}

/** Everything the use cases need, created once in `app.ts`. */
export interface ProductDeps {
  sql: Sql;
  products: ProductRepository;
  reservations: ReservationRepository;
  cache: ProductCache;
  outbox: EventOutbox;
  logger: Logger;
}
