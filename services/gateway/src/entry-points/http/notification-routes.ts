import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { nullIfEmpty, type RouteDeps } from "./route-deps.js";
import { bearerAuth, DEFAULT_LIMIT, ListQuery, Page, problemResponses } from "./schemas/common.js";
import { LinkTelegramBody, Notification, TelegramLink } from "./schemas/notification.js";
import { callOptions } from "./trace-context.js";

const tags = ["notifications"];

/** The caller's notifications and Telegram link, over NotificationService. */
export function notificationRoutes(deps: RouteDeps): FastifyPluginAsyncTypebox {
  const { notification } = deps.clients;
  return async (app) => {
    app.get(
      "/api/v1/notifications",
      {
        preValidation: deps.auth.user,
        schema: {
          tags,
          summary: "The caller's notifications, newest first",
          security: bearerAuth,
          querystring: ListQuery,
          response: { 200: Page(Notification), ...problemResponses(400, 401, 429, 503) },
        },
      },
      async (req) => {
        const page = await notification.ListNotifications(
          { limit: req.query.limit ?? DEFAULT_LIMIT, cursor: req.query.cursor ?? "" },
          callOptions(req, deps.auth.identity(req)),
        );
        return {
          items: page.items.map((n) => ({
            id: n.id,
            type: n.type,
            channel: n.channel,
            status: n.status,
            orderId: n.hasOrderId ? n.orderId : null,
            createdAt: n.createdAt,
          })),
          nextCursor: nullIfEmpty(page.nextCursor),
        };
      },
    );

    app.put(
      "/api/v1/notifications/telegram",
      {
        preValidation: deps.auth.user,
        schema: {
          tags,
          summary: "Send the caller's notifications to this Telegram chat too",
          security: bearerAuth,
          body: LinkTelegramBody,
          response: { 200: TelegramLink, ...problemResponses(400, 401, 413, 429, 503) },
        },
      },
      async (req) => {
        const link = await notification.LinkTelegram(
          { chatId: String(req.body.chatId) },
          callOptions(req, deps.auth.identity(req)),
        );
        return { chatId: link.chatId, linkedAt: link.linkedAt };
      },
    );
  };
}
