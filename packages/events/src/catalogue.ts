import { type Static, Type } from "typebox";
import type { EventVersion, Upcaster } from "./versioning.js";

/**
 * Every event of the system and its payload schema at its current version. The schemas are closed
 * (no unknown fields) for producers, so a field emitted by mistake fails at publish; consumers
 * read them open, so a field a newer producer added does not fail older readers (see README).
 */
const OrderId = Type.Integer({ minimum: 1 });
const UserId = Type.String({ minLength: 1, maxLength: 100 });
const Money = Type.Integer({ minimum: 0 });
const Currency = Type.String({ pattern: "^[A-Z]{3}$" });
const Quantity = Type.Integer({ minimum: 1, maximum: 1000 });
const closed = { additionalProperties: false } as const;

const OrderLine = Type.Object(
  {
    productId: Type.String({ minLength: 1, maxLength: 100 }),
    quantity: Quantity,
    unitPriceCents: Money,
  },
  closed,
);
const ReservedLine = Type.Object(
  { productId: Type.String({ minLength: 1, maxLength: 100 }), quantity: Quantity },
  closed,
);

export const CancelReason = Type.Union([
  Type.Literal("OUT_OF_STOCK"),
  Type.Literal("PAYMENT_FAILED"),
  Type.Literal("TIMEOUT"),
]);

export const payloadSchemas = {
  OrderCreated: Type.Object(
    {
      orderId: OrderId,
      userId: UserId,
      items: Type.Array(OrderLine, { minItems: 1, maxItems: 50 }),
      totalCents: Money,
      currency: Currency,
    },
    closed,
  ),
  InventoryReserved: Type.Object(
    {
      orderId: OrderId,
      userId: UserId,
      items: Type.Array(ReservedLine, { minItems: 1, maxItems: 50 }),
      totalCents: Money,
      currency: Currency,
    },
    closed,
  ),
  InventoryReservationFailed: Type.Object(
    {
      orderId: OrderId,
      userId: UserId,
      reason: Type.Literal("OUT_OF_STOCK"),
      /** Lines that could not be reserved (unknown, deleted, or short of stock). */
      productIds: Type.Array(Type.String()),
    },
    closed,
  ),
  PaymentProcessed: Type.Object(
    { orderId: OrderId, userId: UserId, paymentId: Type.String(), amountCents: Money, currency: Currency },
    closed,
  ),
  PaymentFailed: Type.Object(
    {
      orderId: OrderId,
      userId: UserId,
      paymentId: Type.String(),
      amountCents: Money,
      currency: Currency,
      reason: Type.String({ maxLength: 200 }),
    },
    closed,
  ),
  PaymentRefunded: Type.Object(
    { orderId: OrderId, userId: UserId, paymentId: Type.String(), amountCents: Money, currency: Currency },
    closed,
  ),
  OrderPaid: Type.Object(
    {
      orderId: OrderId,
      userId: UserId,
      items: Type.Array(ReservedLine, { minItems: 1, maxItems: 50 }),
      totalCents: Money,
      currency: Currency,
    },
    closed,
  ),
  OrderCancelled: Type.Object(
    {
      orderId: OrderId,
      userId: UserId,
      reason: CancelReason,
      /** What the product service must release: empty when nothing was reserved. */
      items: Type.Array(ReservedLine, { maxItems: 50 }),
      totalCents: Money,
      currency: Currency,
    },
    closed,
  ),
  UserRegistered: Type.Object(
    {
      userId: UserId,
      email: Type.String({ minLength: 3, maxLength: 320 }),
      role: Type.Union([Type.Literal("customer"), Type.Literal("admin")]),
      /**
       * The verification link's one-time token, sealed for the notification service (compact JWE,
       * see @shop/identity's one-time-token-seal); absent for accounts created already verified.
       */
      tokenJwe: Type.Optional(Type.String({ minLength: 16, maxLength: 2000 })),
    },
    closed,
  ),
  PasswordResetRequested: Type.Object(
    {
      userId: UserId,
      email: Type.String({ minLength: 3, maxLength: 320 }),
      /** The reset link's one-time token, sealed for the notification service (compact JWE). */
      tokenJwe: Type.String({ minLength: 16, maxLength: 2000 }),
      expiresAt: Type.String({ format: "date-time" }),
    },
    closed,
  ),
};

export type EventType = keyof typeof payloadSchemas;
export type PayloadOf<T extends EventType> = Static<(typeof payloadSchemas)[T]>;
export const eventTypes = Object.keys(payloadSchemas) as EventType[];

/**
 * The current version of each type whose version is not 1.0. Adding an optional field: bump the
 * minor. Any other change: bump the major and add an upcaster from the old major below.
 */
export const eventVersions: Partial<Record<EventType, EventVersion>> = {};

/** How consumers bring the older majors of a type up to its current one (none so far). */
export const eventUpcasters: readonly (Upcaster & { type: EventType })[] = [];

/** Topics by the aggregate that emits them; the message key is the aggregate id. */
export const topics = {
  orders: "shop.orders.v1",
  inventory: "shop.inventory.v1",
  payments: "shop.payments.v1",
  users: "shop.users.v1",
} as const;
export type TopicKey = keyof typeof topics;

export const topicOf: Record<EventType, TopicKey> = {
  OrderCreated: "orders",
  OrderPaid: "orders",
  OrderCancelled: "orders",
  InventoryReserved: "inventory",
  InventoryReservationFailed: "inventory",
  PaymentProcessed: "payments",
  PaymentFailed: "payments",
  PaymentRefunded: "payments",
  UserRegistered: "users",
  PasswordResetRequested: "users",
};

/** The Kafka topic name; a prefix isolates environments (and test files) sharing one broker. */
export function topicName(key: TopicKey, prefix = ""): string {
  return `${prefix}${topics[key]}`;
}

/**
 * Every consumer group of the services and the topics it reads (each service's consumer names
 * its own), for the tools that watch them all: lag, dead letters, quiet.
 */
export const CONSUMER_GROUPS: Readonly<Record<string, readonly TopicKey[]>> = {
  product: ["orders"],
  order: ["inventory", "payments"],
  payment: ["inventory"],
  "payment-cancellations": ["orders"],
  notification: ["users", "orders"],
};

/** Dead letters of one consumer group. */
export function deadLetterTopic(groupId: string, prefix = ""): string {
  return `${prefix}shop.dlq.${groupId}`;
}
