import { Counter, type Registry } from "@shop/platform";

/** Security-relevant outcomes, for dashboards and alerts (e.g. a burst of refresh-token reuse). */
export function createAuthMetrics(registry: Registry) {
  return {
    logins: new Counter({
      name: "auth_logins_total",
      help: "Login attempts by outcome (success, invalid, locked)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    refreshes: new Counter({
      name: "auth_refreshes_total",
      help: "Refresh-token exchanges by outcome (success, invalid, reuse)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    registrations: new Counter({
      name: "auth_registrations_total",
      help: "Accounts created",
      registers: [registry],
    }),
  };
}

export type AuthMetrics = ReturnType<typeof createAuthMetrics>;
