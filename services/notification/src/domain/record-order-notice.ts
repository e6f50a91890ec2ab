import type { Queryable } from "@shop/platform";
import type { NewNotification, NotificationType } from "../data-access/notification-repository.js";
import { emailDraft, type RecordDeps, telegramDraft } from "./record-deps.js";
import type { TemplateName, TemplateVars } from "./render-template.js";

export interface OrderNotice {
  eventId: string;
  userId: string;
  orderId: number;
  type: NotificationType;
  template: TemplateName;
  vars: TemplateVars;
}

/**
 * The order messages of one event: an email to the address from the recipients projection and,
 * when the user linked a chat and Telegram is on, a Telegram message.
 */
export async function recordOrderNotice(deps: RecordDeps, notice: OrderNotice, tx: Queryable): Promise<void> {
  const recipient = await deps.recipients.find(notice.userId, tx);
  const origin = {
    eventId: notice.eventId,
    userId: notice.userId,
    type: notice.type,
    orderId: notice.orderId,
  };
  const drafts: NewNotification[] = [
    // UserRegistered comes on another topic and may not be here yet. Waiting for it here would
    // hold up the partition; the dispatcher looks the address up again when it sends.
    emailDraft(deps.templates, origin, recipient?.email ?? null, notice.template, notice.vars),
  ];
  if (deps.telegramEnabled && recipient?.telegramChatId) {
    drafts.push(
      telegramDraft(deps.templates, origin, recipient.telegramChatId, notice.template, notice.vars),
    );
  }
  await deps.notifications.insertPending(drafts, tx);
}
