import type * as grpc from "@grpc/grpc-js";
import type { HealthHandlers } from "./generated/grpc/health/v1/Health.js";
import type { HealthCheckResponse } from "./generated/grpc/health/v1/HealthCheckResponse.js";

type Status = "SERVING" | "NOT_SERVING";

/** grpc.health.v1: "" stands for the whole server; each added service is listed by its full name. */
export function createHealth() {
  const statuses = new Map<string, Status>([["", "SERVING"]]);
  const watchers = new Set<{
    service: string;
    call: grpc.ServerWritableStream<unknown, HealthCheckResponse>;
  }>();

  const lookup = (service: string): HealthCheckResponse["status"] =>
    statuses.get(service) ?? "SERVICE_UNKNOWN";

  const handlers: HealthHandlers = {
    Check(call, callback) {
      const status = statuses.get(call.request.service);
      if (!status) return callback({ code: 5, details: `unknown service ${call.request.service}` });
      callback(null, { status });
    },
    Watch(call) {
      const watcher = { service: call.request.service, call };
      watchers.add(watcher);
      call.write({ status: lookup(watcher.service) });
      call.on("cancelled", () => watchers.delete(watcher));
      call.on("close", () => watchers.delete(watcher));
    },
  };

  return {
    handlers,
    set(service: string, status: Status) {
      statuses.set(service, status);
      for (const w of watchers) if (w.service === service) w.call.write({ status });
    },
    setAll(status: Status) {
      for (const service of statuses.keys()) this.set(service, status);
    },
    endWatches() {
      for (const w of watchers) w.call.end();
      watchers.clear();
    },
  };
}
