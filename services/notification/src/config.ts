import { grpcCallerSettings, grpcTlsSettings } from "@shop/grpc";
import { oneTimeTokenKeySetting } from "@shop/identity";
import {
  accessTokenSettings,
  bool,
  type ConfigOf,
  commonSettings,
  databaseSettings,
  grpcSettings,
  int,
  kafkaSettings,
  oneOf,
  port,
  str,
  url,
} from "@shop/platform";

export const configSpec = {
  ...commonSettings("notification", 8085),
  ...grpcSettings(50055),
  ...grpcTlsSettings(),
  ...grpcCallerSettings(["gateway"]),
  ...databaseSettings("shop_notification"),
  ...kafkaSettings(),
  ...accessTokenSettings(),
  publicBaseUrl: url(
    "PUBLIC_BASE_URL",
    "base of the links in emails (verification, password reset)",
    ["http:", "https:"],
    "http://localhost:8080",
  ),
  oneTimeTokenKey: oneTimeTokenKeySetting(),

  emailTransport: oneOf(
    "EMAIL_TRANSPORT",
    "auto: SMTP when SMTP_HOST is set, else the service log; smtp; log",
    ["auto", "smtp", "log"] as const,
    "auto",
  ),
  smtpHost: str("SMTP_HOST", "SMTP server; empty writes emails to the service log instead", ""),
  smtpPort: port("SMTP_PORT", "SMTP port", 587),
  smtpSecure: bool(
    "SMTP_SECURE",
    "TLS from the first byte (port 465); false upgrades with STARTTLS when offered",
    false,
  ),
  smtpUser: str("SMTP_USER", "SMTP login; empty sends without authentication", ""),
  smtpPassword: str("SMTP_PASSWORD", "SMTP password", ""),
  mailFrom: str("MAIL_FROM", "sender of every email", "Shop <no-reply@shop.local>"),

  telegramTransport: oneOf(
    "TELEGRAM_TRANSPORT",
    "auto: the Bot API when TELEGRAM_BOT_TOKEN is set, else the service log; api; log; off (no Telegram messages)",
    ["auto", "api", "log", "off"] as const,
    "auto",
  ),
  telegramApiBaseUrl: url(
    "TELEGRAM_API_BASE_URL",
    "Telegram Bot API base URL",
    ["http:", "https:"],
    "https://api.telegram.org",
  ),
  telegramBotToken: str(
    "TELEGRAM_BOT_TOKEN",
    "Telegram bot token; empty writes Telegram messages to the log",
    "",
  ),

  sendTimeoutMs: int(
    "NOTIFY_SEND_TIMEOUT_MS",
    "longest a single SMTP or Telegram send may take",
    15_000,
    100,
  ),
  maxAttempts: int("NOTIFY_MAX_ATTEMPTS", "send attempts before a notification is marked FAILED", 5, 1, 100),
  retryBaseMs: int("NOTIFY_RETRY_BASE_MS", "delay before the first retry; doubles on each attempt", 2_000, 1),
  retryMaxMs: int("NOTIFY_RETRY_MAX_MS", "longest delay between two attempts", 10 * 60_000, 1),
  pollIntervalMs: int(
    "NOTIFY_POLL_INTERVAL_MS",
    "fallback poll of the dispatcher when no wake-up arrives",
    5_000,
    10,
  ),
  dispatchBatchSize: int("NOTIFY_BATCH_SIZE", "notifications claimed and sent together", 10, 1, 1000),
  consumerLingerMs: int(
    "NOTIFY_CONSUMER_LINGER_MS",
    "how long the broker may hold a fetch to gather events, taken then in one transaction (0: each event at once)",
    200,
    0,
    5_000,
  ),
};

export type Config = ConfigOf<typeof configSpec>;
