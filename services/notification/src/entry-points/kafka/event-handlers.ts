import type { EventEnvelope, EventType } from "@shop/events";
import type { Transaction } from "@shop/platform";
import type { RecordDeps } from "../../domain/record-deps.js";
import { recordOrderCancelled } from "../../domain/record-order-cancelled.js";
import { recordOrderPaid } from "../../domain/record-order-paid.js";
import { recordPasswordResetRequested } from "../../domain/record-password-reset-requested.js";
import { recordUserRegistered } from "../../domain/record-user-registered.js";

/** The consumer group and the topics it reads. */
export const CONSUMER_GROUP = "notification";
export const CONSUMED_TOPICS = ["users", "orders"] as const;

type Handler<T extends EventType> = (event: EventEnvelope<T>, tx: Transaction) => Promise<void>;

/**
 * Thin handlers: each runs inside the consumer's transaction (with the inbox insert) and only
 * records rows; the dispatcher sends them after commit. Other event types on these topics are
 * skipped by the consumer.
 */
export function createEventHandlers(deps: RecordDeps): {
  UserRegistered: Handler<"UserRegistered">;
  PasswordResetRequested: Handler<"PasswordResetRequested">;
  OrderPaid: Handler<"OrderPaid">;
  OrderCancelled: Handler<"OrderCancelled">;
} {
  return {
    UserRegistered: (event, tx) => recordUserRegistered(deps, event, tx),
    PasswordResetRequested: (event, tx) => recordPasswordResetRequested(deps, event, tx),
    OrderPaid: (event, tx) => recordOrderPaid(deps, event, tx),
    OrderCancelled: (event, tx) => recordOrderCancelled(deps, event, tx),
  };
}
