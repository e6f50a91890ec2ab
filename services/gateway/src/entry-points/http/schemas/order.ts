import { Type } from "typebox";

const strict = { additionalProperties: false } as const;

export const CreateOrderBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          productId: Type.String({ minLength: 1, maxLength: 256 }),
          quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
        },
        strict,
      ),
      { minItems: 1, maxItems: 50, description: "no product twice" },
    ),
  },
  strict,
);

export const CreateOrderHeaders = Type.Object({
  "idempotency-key": Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});

/** Order ids are positive integers; anything else in the path names no order (404). */
export const OrderIdParams = Type.Object({ id: Type.String() });

const Part = Type.Union([Type.Literal("products"), Type.Literal("payment")]);

export const Order = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    userId: Type.String(),
    status: Type.String({ description: "CREATED, INVENTORY_RESERVED, PAID or CANCELLED" }),
    items: Type.Array(
      Type.Object({
        productId: Type.String(),
        name: Type.String(),
        quantity: Type.Integer(),
        unitPriceCents: Type.Integer(),
      }),
    ),
    totalCents: Type.Integer(),
    currency: Type.String(),
    cancelReason: Type.Union([Type.String(), Type.Null()]),
    payment: Type.Union([
      Type.Object({
        status: Type.String({ description: "SUCCEEDED, FAILED or REFUNDED" }),
        amountCents: Type.Integer(),
      }),
      Type.Null(),
    ]),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    traceId: Type.Optional(Type.String()),
    unavailable: Type.Optional(
      Type.Array(Part, {
        description: "parts that could not be fetched now; their fields are null or partial",
      }),
    ),
  },
  { description: "an order with product names and payment status" },
);

export const TimelineItem = Type.Object(
  {
    type: Type.String({ description: "event name: OrderCreated, InventoryReserved, PaymentProcessed, ..." }),
    service: Type.String({ description: "the emitter: order, product or payment" }),
    at: Type.String({ format: "date-time", description: "when the event occurred" }),
    eventId: Type.String(),
    compensation: Type.Boolean({
      description: "undoes an earlier step (OrderCancelled after a failure or timeout, PaymentRefunded)",
    }),
    reason: Type.Union([Type.String(), Type.Null()], { description: "why, for failures and cancellations" }),
    traceId: Type.Union([Type.String(), Type.Null()]),
  },
  { description: "one saga event of an order" },
);

export const OrderTimeline = Type.Object(
  {
    items: Type.Array(TimelineItem, { description: "in time order" }),
    status: Type.String({
      description: "the order's status now; the timeline is complete once PAID or CANCELLED",
    }),
  },
  { description: "the saga's events of an order" },
);
