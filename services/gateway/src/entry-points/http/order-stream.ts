import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { AppError } from "@shop/platform";
import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import type { OrderClient } from "../../data-access/grpc-clients.js";
import type { Authenticator } from "./authenticate.js";
import { bearerAuth, problemResponses } from "./schemas/common.js";
import { OrderIdParams } from "./schemas/order.js";
import { callOptions } from "./trace-context.js";

export interface OrderStreamSettings {
  pollMs: number;
  heartbeatMs: number;
  maxMs: number;
  maxPerUser: number;
}

type TimelineMessage = Awaited<ReturnType<OrderClient["GetOrderTimeline"]>>;

const TERMINAL = new Set(["PAID", "CANCELLED"]);

/** The public shape of a timeline: proto3's "" for absent strings becomes null. */
export function toTimelineView(timeline: TimelineMessage) {
  return {
    status: timeline.status,
    items: timeline.items.map((i) => ({
      type: i.type,
      service: i.service,
      at: i.at,
      eventId: i.eventId,
      compensation: i.compensation,
      reason: i.reason === "" ? null : i.reason,
      traceId: i.traceId === "" ? null : i.traceId,
    })),
  };
}

/**
 * GET /api/v1/orders/{id}/stream: the order's timeline as server-sent events. It re-reads the
 * timeline from the order service every `pollMs` and sends what is new, so it works whichever
 * gateway instance holds the connection; it ends after the last item of a PAID or CANCELLED order.
 * Bounded: `maxPerUser` open streams per user on this instance, `maxMs` per stream, and polling
 * stops as soon as the client goes away.
 */
export function registerOrderStream(
  app: FastifyInstance,
  deps: {
    order: OrderClient;
    auth: Authenticator;
    settings: OrderStreamSettings;
    parseOrderId: (raw: string) => number;
  },
): void {
  const { settings } = deps;
  const openPerUser = new Map<string, number>();
  const open = new Set<AbortController>();
  // Server shutdown waits for open connections: end the streams first (clients reconnect elsewhere).
  app.addHook("preClose", async () => {
    for (const stream of open) stream.abort();
  });

  app.get<{ Params: { id: string }; Headers: { "last-event-id"?: string } }>(
    "/api/v1/orders/:id/stream",
    {
      preValidation: deps.auth.user,
      schema: {
        tags: ["orders"],
        operationId: "streamOrderTimeline",
        summary:
          "The order's saga events as server-sent events (`event: saga`, JSON data as in the timeline), ending with `event: end` once the order is PAID or CANCELLED",
        security: bearerAuth,
        params: OrderIdParams,
        headers: Type.Object({
          "last-event-id": Type.Optional(
            Type.String({ maxLength: 64, description: "resume after this event (sent as the SSE id)" }),
          ),
        }),
        response: {
          200: {
            description: "an event stream",
            content: { "text/event-stream": { schema: Type.String() } },
          },
          ...problemResponses(401, 404, 429, 503),
        },
      },
    },
    async (req, reply) => {
      const id = deps.parseOrderId(req.params.id);
      const identity = deps.auth.identity(req);
      const user = identity.userId;
      const held = openPerUser.get(user) ?? 0;
      if (held >= settings.maxPerUser) {
        throw AppError.tooMany(`at most ${settings.maxPerUser} open order streams per user`, 5);
      }
      openPerUser.set(user, held + 1);
      const stop = new AbortController();
      try {
        // Read before streaming, so a foreign or unknown order is a plain 404.
        let timeline = await deps.order.GetOrderTimeline({ orderId: id }, callOptions(req, identity));
        reply.hijack();
        const res = reply.raw;
        // Headers set by hooks (traceparent, rate limits) go out too.
        for (const [name, value] of Object.entries(reply.getHeaders())) {
          if (value !== undefined) res.setHeader(name, value);
        }
        res.writeHead(200, {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache, no-transform",
          "x-accel-buffering": "no",
        });
        open.add(stop);
        res.on("close", () => stop.abort());
        const deadline = setTimeout(() => stop.abort(), settings.maxMs);
        const heartbeat = setInterval(() => send(res, stop, ": heartbeat\n\n"), settings.heartbeatMs);
        const sent = new Set<string>();
        skipUpTo(timeline, req.headers["last-event-id"], sent);
        try {
          for (;;) {
            for (const item of toTimelineView(timeline).items) {
              if (sent.has(item.eventId)) continue;
              sent.add(item.eventId);
              send(res, stop, `id: ${item.eventId}\nevent: saga\ndata: ${JSON.stringify(item)}\n\n`);
            }
            if (TERMINAL.has(timeline.status)) {
              send(res, stop, `event: end\ndata: ${JSON.stringify({ status: timeline.status })}\n\n`);
              break;
            }
            await sleep(settings.pollMs, undefined, { signal: stop.signal });
            timeline = await deps.order.GetOrderTimeline({ orderId: id }, callOptions(req, identity));
          }
        } catch (err) {
          // An abort is the client leaving, the deadline or shutdown; anything else ends the
          // stream too, and the client reconnects with Last-Event-ID.
          if (!stop.signal.aborted) req.log.warn({ err, orderId: id }, "order stream ended by an error");
        } finally {
          clearTimeout(deadline);
          clearInterval(heartbeat);
          if (!res.writableEnded) res.end();
        }
      } finally {
        stop.abort();
        open.delete(stop);
        const left = (openPerUser.get(user) ?? 1) - 1;
        if (left > 0) openPerUser.set(user, left);
        else openPerUser.delete(user);
      }
    },
  );
}

function send(res: ServerResponse, stop: AbortController, chunk: string): void {
  if (!stop.signal.aborted && !res.writableEnded) res.write(chunk);
}

/** A reconnecting client has everything up to and including `lastId` already. */
function skipUpTo(timeline: TimelineMessage, lastId: string | undefined, sent: Set<string>): void {
  if (!lastId) return;
  const at = timeline.items.findIndex((i) => i.eventId === lastId);
  for (const item of timeline.items.slice(0, at + 1)) sent.add(item.eventId);
}
