import type {
  Channel,
  NewNotification,
  NotificationRepository,
  NotificationType,
} from "../data-access/notification-repository.js";
import type { RecipientRepository } from "../data-access/recipient-repository.js";
import type { TemplateName, Templates, TemplateVars } from "./render-template.js";

/** What the record use cases need. They only write rows: sending is the dispatcher's job. */
export interface RecordDeps {
  notifications: NotificationRepository;
  recipients: RecipientRepository;
  templates: Templates;
  /** False when Telegram is off: then no Telegram rows are made at all. */
  telegramEnabled: boolean;
  /** Base of the links in emails, e.g. https://shop.example. */
  publicBaseUrl: string;
}

export interface DraftOrigin {
  eventId: string;
  userId: string;
  type: NotificationType;
  orderId: number | null;
}

/** An email row rendered now, so the message sent later is the one that was recorded. */
export function emailDraft(
  templates: Templates,
  origin: DraftOrigin,
  to: string | null,
  template: TemplateName,
  vars: TemplateVars,
): NewNotification {
  const email = templates.renderEmail(template, vars);
  return draft(origin, "email", to, email.subject, email.text, email.html);
}

export function telegramDraft(
  templates: Templates,
  origin: DraftOrigin,
  chatId: string,
  template: TemplateName,
  vars: TemplateVars,
): NewNotification {
  const subject = templates.renderEmail(template, vars).subject;
  return draft(origin, "telegram", chatId, subject, templates.renderTelegram(template, vars), null);
}

function draft(
  origin: DraftOrigin,
  channel: Channel,
  recipient: string | null,
  subject: string,
  body: string,
  bodyHtml: string | null,
): NewNotification {
  return { ...origin, channel, recipient, subject, body, bodyHtml };
}

/** One formatter per currency, built on first use: building one costs far more than using it. */
const moneyFormats = new Map<string, { format: Intl.NumberFormat; minorUnit: number }>();

/** 1234 + "EUR" -> "€12.34", with the currency's own number of minor digits. */
export function formatMoney(cents: number, currency: string): string {
  let money = moneyFormats.get(currency);
  if (!money) {
    const format = new Intl.NumberFormat("en", { style: "currency", currency });
    money = { format, minorUnit: 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2) };
    moneyFormats.set(currency, money);
  }
  return money.format.format(cents / money.minorUnit);
}
