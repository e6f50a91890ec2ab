import { AppError } from "@shop/platform";
import type { Notification, NotificationRepository } from "../data-access/notification-repository.js";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface NotificationPage {
  items: Notification[];
  /** Opaque; undefined on the last page. */
  nextCursor: string | undefined;
}

/** The caller's own notifications, newest first, a page at a time. */
export async function listNotifications(
  notifications: NotificationRepository,
  userId: string,
  request: { limit?: number; cursor?: string },
): Promise<NotificationPage> {
  const limit = request.limit || DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw AppError.invalid(`limit must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  const beforeSeq = request.cursor ? decodeCursor(request.cursor) : undefined;
  // One extra row tells whether another page exists without a count query.
  const rows = await notifications.listForUser(userId, limit + 1, beforeSeq);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : undefined };
}

function encodeCursor(seq: number): string {
  return Buffer.from(`n:${seq}`).toString("base64url");
}

function decodeCursor(cursor: string): number {
  const match = /^n:(\d{1,16})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) throw AppError.invalid("cursor is not valid");
  return Number(match[1]);
}
