import type { OneTimeTokenSeal } from "@shop/identity";
import type { Logger } from "@shop/platform";
import type { Notification, NotificationRepository } from "../data-access/notification-repository.js";
import type { RecipientRepository } from "../data-access/recipient-repository.js";
import type { NotificationMetrics } from "../metrics.js";
import { PermanentSendError, type Transport, type Transports } from "../transports/transport.js";
import { type RevealedMessage, revealOneTimeToken } from "./reveal-one-time-token.js";

export interface DispatchSettings {
  batchSize: number;
  /** Attempts before a notification becomes FAILED. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Fallback poll when no wake-up arrives (LISTEN lost, clock-scheduled retries). */
  pollIntervalMs: number;
  /** How long a claimed row stays invisible to other dispatchers: longer than any send. */
  leaseMs: number;
}

export interface DispatcherDeps {
  notifications: NotificationRepository;
  recipients: RecipientRepository;
  transports: Transports;
  logger: Logger;
  metrics: NotificationMetrics;
  settings: DispatchSettings;
  /** Opens the sealed one-time tokens of verification and reset emails, just before sending. */
  oneTimeTokens: OneTimeTokenSeal;
}

/** Delay before attempt `attempts + 1`: exponential, capped, with jitter so peers do not sync up. */
export function retryDelayMs(
  attempts: number,
  settings: Pick<DispatchSettings, "retryBaseMs" | "retryMaxMs">,
) {
  const exponential = settings.retryBaseMs * 2 ** Math.min(attempts - 1, 30);
  const capped = Math.min(exponential, settings.retryMaxMs);
  return Math.round(capped * (0.8 + Math.random() * 0.4));
}

/**
 * Sends recorded notifications. Claims due rows (several instances may run: SKIP LOCKED plus a
 * lease), sends each through its channel's transport, and records the outcome: SENT, a retry at
 * next_attempt_at, or FAILED once the attempts run out. Wakes on `wake()` (LISTEN/NOTIFY or
 * in-process), when the earliest retry falls due, or on the fallback poll.
 */
export function createDispatcher(deps: DispatcherDeps) {
  const { notifications, transports, settings } = deps;
  const log = deps.logger.child({ component: "dispatcher" });
  let running: Promise<void> | undefined;
  let stopped = false;
  let woken = false;
  let interrupt: (() => void) | undefined;

  function wake(): void {
    woken = true;
    interrupt?.();
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        interrupt = undefined;
        resolve();
      }
      interrupt = done;
    });
  }

  async function deliver(row: Notification): Promise<void> {
    const transport = row.channel === "email" ? transports.email : transports.telegram;
    const entry = { notificationId: row.id, channel: row.channel, type: row.type, attempt: row.attempts };
    try {
      if (!transport) throw new PermanentSendError(`no transport for channel ${row.channel}`);
      const recipient = row.recipient ?? (await resolveEmail(row));
      const message = await messageFor(transport, { ...row, recipient });
      await transport.send({ channel: row.channel, recipient, ...message });
    } catch (err) {
      const error = describe(err);
      if (err instanceof PermanentSendError || row.attempts >= settings.maxAttempts) {
        await notifications.markFailed(row.id, error);
        deps.metrics.failed.inc({ channel: row.channel });
        log.warn({ ...entry, error }, "notification failed for good");
      } else {
        const delayMs = retryDelayMs(row.attempts, settings);
        await notifications.scheduleRetry(row.id, error, delayMs);
        deps.metrics.retried.inc({ channel: row.channel });
        log.info({ ...entry, error, retryInMs: delayMs }, "notification send failed, will retry");
      }
      return;
    }
    // If this write fails the lease runs out and the message is sent again: at least once.
    await notifications.markSent(row.id);
    deps.metrics.sent.inc({ channel: row.channel, type: row.type });
    log.debug(entry, "notification sent");
  }

  /** The stored message; with its one-time token opened only for a transport that delivers it. */
  async function messageFor(transport: Transport, row: Notification & { recipient: string }) {
    const { sealedToken } = row;
    if (!sealedToken || transport.receivesRedacted) {
      return { subject: row.subject, text: row.body, html: row.bodyHtml } satisfies RevealedMessage;
    }
    return revealOneTimeToken(deps.oneTimeTokens, { ...row, sealedToken });
  }

  /** The address of an email recorded before the user's registration arrived. */
  async function resolveEmail(row: Notification): Promise<string> {
    const email = (await deps.recipients.find(row.userId))?.email;
    if (!email) throw new Error("no email address known for this user yet");
    await notifications.setRecipient(row.id, email);
    return email;
  }

  /** One round: claim a batch and send it. Returns how many rows were claimed. */
  async function runOnce(): Promise<number> {
    const batch = await notifications.claimDue(settings.batchSize, settings.leaseMs);
    const outcomes = await Promise.allSettled(batch.map(deliver));
    for (const outcome of outcomes) {
      if (outcome.status === "rejected")
        log.error({ err: outcome.reason }, "recording a send outcome failed");
    }
    return batch.length;
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      woken = false;
      let waitMs = settings.pollIntervalMs;
      try {
        // A full batch may have left due rows behind. A partial one left none but rows committed
        // since, and their wake-up set `woken`: claiming again at once would find nothing.
        if ((await runOnce()) >= settings.batchSize || woken) continue;
        const nextDue = await notifications.nextDueAt();
        // A floor, so rows another instance is claiming right now do not make this loop spin.
        if (nextDue) waitMs = Math.max(20, Math.min(waitMs, nextDue.getTime() - Date.now()));
      } catch (err) {
        log.error({ err }, "dispatch round failed");
      }
      if (!woken && !stopped) await sleep(waitMs);
    }
  }

  return {
    wake,
    runOnce,
    start(): void {
      stopped = false;
      running ??= loop();
    },
    /** Stops taking new rows and waits for the sends in flight to finish. */
    async stop(): Promise<void> {
      stopped = true;
      interrupt?.();
      await running;
      running = undefined;
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.slice(0, 1000);
}
