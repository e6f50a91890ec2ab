import { AppError, Counter, Gauge, isAppError, type Registry } from "@shop/platform";
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  IsolatedCircuitError,
  noJitterGenerator,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from "cockatiel";

export interface ResilienceSettings {
  /** Upper bound of one attempt (the gRPC deadline normally fires first or together). */
  timeoutMs: number;
  /** Retries after the first attempt, for idempotent reads only. */
  retryMaxAttempts: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  /** Consecutive failures that open a service's circuit. */
  breakerThreshold: number;
  /**
   * How long an open circuit fails fast before a trial call is let through: `breakerHalfOpenInitialMs`
   * when it has just opened, doubling after each failed trial up to `breakerHalfOpenAfterMs`. A
   * service back from a restart is used again within a second; one that stays down is tried
   * less and less often.
   */
  breakerHalfOpenInitialMs?: number;
  breakerHalfOpenAfterMs: number;
  /** Deadline of the calls that are slow by design (password hashing), instead of `timeoutMs`. */
  slowCallTimeoutMs?: number;
}

/**
 * Calls that hash a password with a deliberately expensive KDF: under a burst of sign-ups they
 * queue on the auth service's thread pool, so they get their own, longer deadline.
 */
const SLOW_METHODS: Record<string, Set<string>> = {
  auth: new Set(["Register", "Login", "ResetPassword"]),
};

/**
 * Only these say "the service is unwell"; a 404, a 409 or an INVALID_ARGUMENT is a healthy answer
 * to a bad request and never counts toward a circuit (else any client could open it for everyone).
 */
const FAILURE_KINDS = new Set(["UNAVAILABLE", "TIMEOUT", "INTERNAL"]);

export function isDownstreamFailure(err: unknown): boolean {
  return err instanceof TaskCancelledError || (isAppError(err) && FAILURE_KINDS.has(err.kind));
}

/** Reads are safe to repeat; everything else (create, update, delete, login...) runs once. */
const READ_METHOD = /^(Get|List)/;

interface ServicePolicies {
  read: IPolicy;
  write: IPolicy;
  slow: IPolicy;
}

/**
 * Timeout, retry (reads only, jittered exponential backoff) and one consecutive-failure circuit
 * breaker per downstream service (one outcome per request, not per attempt), with breaker state and retry counts as Prometheus metrics.
 * Failures leave here as AppErrors that name the service but no internals.
 */
export function createResilience(settings: ResilienceSettings, metrics: Registry) {
  const circuitState = new Gauge({
    name: "gateway_circuit_state",
    help: "Circuit breaker state per downstream service: 0 closed, 1 open, 2 half-open",
    labelNames: ["service"],
    registers: [metrics],
  });
  const retries = new Counter({
    name: "gateway_downstream_retries_total",
    help: "Retried downstream calls per service (idempotent reads only)",
    labelNames: ["service"],
    registers: [metrics],
  });
  const byService = new Map<string, ServicePolicies>();
  const halfOpenInitialMs = Math.min(
    settings.breakerHalfOpenInitialMs ?? settings.breakerHalfOpenAfterMs,
    settings.breakerHalfOpenAfterMs,
  );
  const retryAfterSeconds = Math.max(1, Math.ceil(halfOpenInitialMs / 1000));

  function policiesFor(service: string): ServicePolicies {
    const existing = byService.get(service);
    if (existing) return existing;
    // abortOnReturn off: aborting the signal of every successful call builds an error with a stack.
    const perAttempt = timeout(settings.timeoutMs, {
      strategy: TimeoutStrategy.Aggressive,
      abortOnReturn: false,
    });
    const breaker = circuitBreaker(handleWhen(isDownstreamFailure), {
      halfOpenAfter: new ExponentialBackoff({
        initialDelay: halfOpenInitialMs,
        maxDelay: settings.breakerHalfOpenAfterMs,
        generator: noJitterGenerator,
      }),
      breaker: new ConsecutiveBreaker(settings.breakerThreshold),
    });
    circuitState.set({ service }, CircuitState.Closed);
    breaker.onStateChange((state) =>
      circuitState.set({ service }, state === CircuitState.Isolated ? CircuitState.Open : state),
    );
    const retrying = retry(handleWhen(isDownstreamFailure), {
      maxAttempts: settings.retryMaxAttempts,
      // The default generator is decorrelated jitter: retries from many gateways spread out.
      backoff: new ExponentialBackoff({
        initialDelay: settings.retryInitialDelayMs,
        maxDelay: settings.retryMaxDelayMs,
      }),
    });
    retrying.onRetry(() => retries.inc({ service }));
    const slowTimeout = timeout(settings.slowCallTimeoutMs ?? settings.timeoutMs, {
      strategy: TimeoutStrategy.Aggressive,
      abortOnReturn: false,
    });
    // The breaker sits outside the retry: it sees one outcome per request, however many attempts
    // that request made, so one unlucky read cannot open a circuit alone.
    const policies = {
      read: wrap(breaker, retrying, perAttempt),
      write: wrap(breaker, perAttempt),
      slow: wrap(breaker, slowTimeout),
    };
    byService.set(service, policies);
    return policies;
  }

  function toEdgeError(service: string, err: unknown): AppError {
    if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
      return new AppError("UNAVAILABLE", `${service} service unavailable`, {
        code: "CIRCUIT_OPEN",
        retryAfter: retryAfterSeconds,
        cause: err,
      });
    }
    if (err instanceof TaskCancelledError) {
      return new AppError("TIMEOUT", `${service} service timed out`, { cause: err });
    }
    if (isAppError(err)) {
      // The downstream's own wording of an outage may name methods or hosts: replace it.
      if (err.kind === "UNAVAILABLE") {
        return new AppError("UNAVAILABLE", `${service} service unavailable`, { cause: err, retryAfter: 1 });
      }
      if (err.kind === "TIMEOUT")
        return new AppError("TIMEOUT", `${service} service timed out`, { cause: err });
      // gRPC carries no Retry-After: the services put "retry in N s" in the message, else a minute.
      if (err.kind === "TOO_MANY_REQUESTS" && err.retryAfter === undefined) {
        const seconds = Number(/retry in (\d+) ?s/.exec(err.message)?.[1] ?? 60);
        return new AppError("TOO_MANY_REQUESTS", err.message, {
          code: err.code,
          cause: err,
          retryAfter: Math.max(1, seconds),
        });
      }
      return err;
    }
    return new AppError("INTERNAL", `${service} call failed`, { cause: err });
  }

  return {
    /**
     * The same client with every PascalCase method run through the service's policies:
     * `Get*`/`List*` with retries, every other method at most once.
     */
    wrapClient<C extends object>(service: string, client: C): C {
      const policies = policiesFor(service);
      return new Proxy(client, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (typeof prop !== "string" || typeof value !== "function" || !/^[A-Z]/.test(prop)) return value;
          const slow = SLOW_METHODS[service]?.has(prop) && settings.slowCallTimeoutMs !== undefined;
          const policy = slow ? policies.slow : READ_METHOD.test(prop) ? policies.read : policies.write;
          return (...args: unknown[]) => {
            if (slow)
              args[1] = { ...(args[1] as object | undefined), deadlineMs: settings.slowCallTimeoutMs };
            return policy
              .execute(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args))
              .catch((err: unknown) => {
                throw toEdgeError(service, err);
              });
          };
        },
      });
    },
  };
}

export type Resilience = ReturnType<typeof createResilience>;
