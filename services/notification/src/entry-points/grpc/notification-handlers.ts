import type { protos, UnaryHandlers } from "@shop/grpc";
import type { TokenVerifier } from "@shop/identity";
import type { Notification, NotificationRepository } from "../../data-access/notification-repository.js";
import type { RecipientRepository } from "../../data-access/recipient-repository.js";
import { linkTelegram } from "../../domain/link-telegram.js";
import { listNotifications } from "../../domain/list-notifications.js";

type NotificationServiceDefinition = ReturnType<
  typeof protos
>["notification"]["NotificationService"]["service"];

export interface NotificationHandlerDeps {
  verifier: TokenVerifier;
  notifications: NotificationRepository;
  recipients: RecipientRepository;
}

/** shop.notification.v1.NotificationService: the caller is whoever the `authorization` token names. */
export function createNotificationHandlers(
  deps: NotificationHandlerDeps,
): UnaryHandlers<NotificationServiceDefinition> {
  return {
    async ListNotifications(request, ctx) {
      const caller = await deps.verifier.verify(ctx.authorization);
      const page = await listNotifications(deps.notifications, caller.userId, {
        limit: request.limit,
        cursor: request.cursor,
      });
      return { items: page.items.map(toMessage), nextCursor: page.nextCursor ?? "" };
    },

    async LinkTelegram(request, ctx) {
      const caller = await deps.verifier.verify(ctx.authorization);
      const link = await linkTelegram(deps.recipients, caller.userId, request.chatId);
      return { chatId: link.chatId, linkedAt: link.linkedAt.toISOString() };
    },
  };
}

function toMessage(n: Notification) {
  return {
    id: n.id,
    type: n.type,
    channel: n.channel,
    status: n.status,
    // proto3 has no null for scalars: has_order_id tells "no order" from order 0.
    orderId: n.orderId ?? 0,
    hasOrderId: n.orderId !== null,
    createdAt: n.createdAt.toISOString(),
    attempts: n.attempts,
  };
}
