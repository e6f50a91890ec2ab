import { createCommitSignal, type Queryable, type Sql } from "@shop/platform";

export const notificationTypes = ["VERIFY_EMAIL", "PASSWORD_RESET", "ORDER_PAID", "ORDER_CANCELLED"] as const;
export type NotificationType = (typeof notificationTypes)[number];
export type Channel = "email" | "telegram";
export type NotificationStatus = "PENDING" | "SENT" | "FAILED";

/** The NOTIFY channel for new pending rows, for writers without a dispatcher in their thread. */
export const PENDING_CHANNEL = "notifications_pending";
/** Wakes the dispatcher when new rows commit: in-process when it runs in this thread, else by NOTIFY. */
const pendingCommits = createCommitSignal(PENDING_CHANNEL);

export interface NewNotification {
  eventId: string;
  userId: string;
  type: NotificationType;
  channel: Channel;
  orderId: number | null;
  /** Null: not known yet, resolved from the recipients projection at send time. */
  recipient: string | null;
  subject: string;
  body: string;
  bodyHtml: string | null;
  /**
   * The message's one-time token, sealed (JWE); subject and bodies hold `REDACTED_TOKEN` in its
   * place. Null for messages without one, and cleared once the row is SENT or FAILED.
   */
  sealedToken?: string | null;
}

export interface Notification extends NewNotification {
  id: string;
  seq: number;
  status: NotificationStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  createdAt: Date;
  sentAt: Date | null;
}

export function createNotificationRepository(sql: Sql) {
  // Every query names the table `n`, so the list also works next to the claim's `due` set.
  const columns = sql`
    n.id, n.seq, event_id as "eventId", user_id as "userId", type, channel, status,
    order_id as "orderId", recipient, subject, body, body_html as "bodyHtml", attempts,
    last_error as "lastError", next_attempt_at as "nextAttemptAt", created_at as "createdAt",
    sent_at as "sentAt", sealed_token as "sealedToken"
  `;

  return {
    /**
     * Records PENDING rows; a row whose (event, channel) exists already is skipped, so a
     * redelivered event never yields a second message. Returns how many rows are new.
     */
    async insertPending(items: NewNotification[], tx: Queryable = sql): Promise<number> {
      if (items.length === 0) return 0;
      const rows = items.map((n) => ({
        event_id: n.eventId,
        user_id: n.userId,
        type: n.type,
        channel: n.channel,
        order_id: n.orderId,
        recipient: n.recipient,
        subject: n.subject,
        body: n.body,
        body_html: n.bodyHtml,
        sealed_token: n.sealedToken ?? null,
      }));
      const inserted = await tx`
        insert into notifications ${sql(rows)}
        on conflict (event_id, channel) do nothing
        returning id
      `;
      // Delivered at commit only, so a dispatcher never looks before the rows are visible.
      if (inserted.length > 0) await pendingCommits.signal(tx);
      return inserted.length;
    },

    /**
     * Claims due rows for sending: counts the attempt and pushes next_attempt_at out by the lease,
     * then commits, so no transaction stays open during network I/O. Another instance skips
     * rows being claimed; a row whose sender died becomes due again when its lease ends.
     */
    async claimDue(limit: number, leaseMs: number, tx: Queryable = sql): Promise<Notification[]> {
      return tx<Notification[]>`
        update notifications n
        set attempts = n.attempts + 1,
            next_attempt_at = now() + ${leaseMs} * interval '1 millisecond'
        from (
          select id from notifications
          where status = 'PENDING' and next_attempt_at <= now()
          order by next_attempt_at
          limit ${limit}
          for update skip locked
        ) due
        where n.id = due.id
        returning ${columns}
      `;
    },

    async setRecipient(id: string, recipient: string, tx: Queryable = sql): Promise<void> {
      await tx`update notifications set recipient = ${recipient} where id = ${id} and recipient is null`;
    },

    async markSent(id: string, tx: Queryable = sql): Promise<void> {
      await tx`
        update notifications set status = 'SENT', sent_at = now(), last_error = null, sealed_token = null
        where id = ${id} and status = 'PENDING'
      `;
    },

    async scheduleRetry(id: string, error: string, delayMs: number, tx: Queryable = sql): Promise<void> {
      await tx`
        update notifications
        set last_error = ${error}, next_attempt_at = now() + ${delayMs} * interval '1 millisecond'
        where id = ${id} and status = 'PENDING'
      `;
    },

    async markFailed(id: string, error: string, tx: Queryable = sql): Promise<void> {
      await tx`
        update notifications set status = 'FAILED', last_error = ${error}, sealed_token = null
        where id = ${id} and status = 'PENDING'
      `;
    },

    /** When the earliest pending row falls due (undefined when nothing is pending). */
    async nextDueAt(tx: Queryable = sql): Promise<Date | undefined> {
      const [row] = await tx<{ at: Date | null }[]>`
        select min(next_attempt_at) as at from notifications where status = 'PENDING'
      `;
      return row?.at ?? undefined;
    },

    async countPending(tx: Queryable = sql): Promise<number> {
      const [row] = await tx<{ n: number }[]>`
        select count(*)::int as n from notifications where status = 'PENDING'
      `;
      return row?.n ?? 0;
    },

    /** A user's feed, newest first; `beforeSeq` continues after the last row of a page. */
    async listForUser(
      userId: string,
      limit: number,
      beforeSeq: number | undefined,
      tx: Queryable = sql,
    ): Promise<Notification[]> {
      return tx<Notification[]>`
        select ${columns} from notifications n
        where user_id = ${userId} ${beforeSeq === undefined ? sql`` : sql`and seq < ${beforeSeq}`}
        order by seq desc
        limit ${limit}
      `;
    },

    async findByEvent(eventId: string, tx: Queryable = sql): Promise<Notification[]> {
      return tx<Notification[]>`
        select ${columns} from notifications n where event_id = ${eventId} order by channel
      `;
    },

    /** Subscribes to commits of new pending rows; returns the unsubscribe function. */
    onPending(listener: () => void): Promise<() => Promise<void>> {
      return pendingCommits.listen(sql, listener);
    },
  };
}

export type NotificationRepository = ReturnType<typeof createNotificationRepository>;
