import { Counter, Gauge, type Registry } from "@shop/platform";

/** The notification service's own metrics; create once per registry. */
export function createNotificationMetrics(registry: Registry, countPending: () => Promise<number>) {
  const metrics = {
    sent: new Counter({
      name: "notifications_sent_total",
      help: "Notifications the peer accepted, by channel and type",
      labelNames: ["channel", "type"],
      registers: [registry],
    }),
    failed: new Counter({
      name: "notifications_failed_total",
      help: "Notifications given up on (FAILED), by channel",
      labelNames: ["channel"],
      registers: [registry],
    }),
    retried: new Counter({
      name: "notifications_send_retries_total",
      help: "Failed send attempts that will be retried, by channel",
      labelNames: ["channel"],
      registers: [registry],
    }),
    backlog: new Gauge({
      name: "notifications_dispatch_backlog",
      help: "Notifications waiting to be sent (PENDING)",
      registers: [registry],
      // Read at scrape time; a database outage leaves the last value rather than failing the scrape.
      async collect() {
        try {
          this.set(await countPending());
        } catch {
          /* keep the previous value */
        }
      },
    }),
  };
  // Zero series from the start, so a rate() over a failure counter has something to compare.
  for (const channel of ["email", "telegram"]) {
    metrics.failed.labels({ channel });
    metrics.retried.labels({ channel });
  }
  return metrics;
}

export type NotificationMetrics = ReturnType<typeof createNotificationMetrics>;
