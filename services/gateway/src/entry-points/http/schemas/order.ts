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
