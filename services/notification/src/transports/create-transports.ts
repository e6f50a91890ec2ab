import { ConfigError, type Logger } from "@shop/platform";
import type { Config } from "../config.js";
import { createLogTransport } from "./log-transport.js";
import { createSmtpTransport } from "./smtp-transport.js";
import { createTelegramTransport } from "./telegram-transport.js";
import type { Transports } from "./transport.js";

/**
 * Picks each channel's transport from the config. `auto` uses the real peer when it is
 * configured and the service log otherwise, so `make up` works without any account.
 */
export function createTransports(config: Config, logger: Logger): Transports {
  const log = createLogTransport(logger);

  const useSmtp =
    config.emailTransport === "smtp" || (config.emailTransport === "auto" && config.smtpHost !== "");
  if (useSmtp && config.smtpHost === "")
    throw new ConfigError("SMTP_HOST", "is required when EMAIL_TRANSPORT=smtp");
  const email = useSmtp
    ? createSmtpTransport({
        host: config.smtpHost,
        port: config.smtpPort,
        secure: config.smtpSecure,
        user: config.smtpUser,
        password: config.smtpPassword,
        from: config.mailFrom,
        timeoutMs: config.sendTimeoutMs,
      })
    : log;

  const mode = config.telegramTransport;
  if (mode === "api" && config.telegramBotToken === "") {
    throw new ConfigError("TELEGRAM_BOT_TOKEN", "is required when TELEGRAM_TRANSPORT=api");
  }
  const useApi = mode === "api" || (mode === "auto" && config.telegramBotToken !== "");
  const telegram =
    mode === "off"
      ? undefined
      : useApi
        ? createTelegramTransport({
            apiBaseUrl: config.telegramApiBaseUrl,
            botToken: config.telegramBotToken,
            timeoutMs: config.sendTimeoutMs,
          })
        : log;

  return { email, telegram };
}
