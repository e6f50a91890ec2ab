import { Type } from "typebox";

export const Notification = Type.Object({
  id: Type.String(),
  type: Type.String({ description: "e.g. ORDER_PAID, ORDER_CANCELLED" }),
  channel: Type.String({ description: "email or telegram" }),
  status: Type.String({ description: "SENT, FAILED or PENDING" }),
  orderId: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.String(),
});

export const LinkTelegramBody = Type.Object(
  {
    chatId: Type.Union(
      [
        Type.String({ pattern: "^-?[0-9]{1,20}$" }),
        Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }),
      ],
      { description: "the Telegram chat id to send notifications to" },
    ),
  },
  { additionalProperties: false },
);

export const TelegramLink = Type.Object(
  { chatId: Type.String(), linkedAt: Type.String() },
  { description: "the linked chat" },
);
