/**
 * Typed configuration from environment variables. Each key names its variable, a default and a
 * one-line doc; `loadConfig` validates everything at start and throws a ConfigError naming the
 * variable, which `runMain` prints as a single line before exiting.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`invalid configuration: ${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

export interface Setting<T> {
  env: string;
  doc: string;
  default?: T | undefined;
  /** Turns the raw string into a value; throws an Error whose message says what is wrong. */
  parse: (raw: string) => T;
}

type Spec = Record<string, Setting<unknown>>;
export type ConfigOf<S extends Spec> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export function loadConfig<S extends Spec>(spec: S, env: NodeJS.ProcessEnv): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(spec)) {
    const raw = env[setting.env];
    if (raw === undefined || raw === "") {
      if (setting.default === undefined) throw new ConfigError(setting.env, "is required");
      out[key] = setting.default;
      continue;
    }
    try {
      out[key] = setting.parse(raw);
    } catch (err) {
      throw new ConfigError(setting.env, `${(err as Error).message} (got ${JSON.stringify(raw)})`);
    }
  }
  return out as ConfigOf<S>;
}

/** Lines for a README table or `--help`: variable, default, doc. */
export function describeConfig(spec: Spec): string[] {
  return Object.values(spec).map(
    (s) => `${s.env}=${s.default === undefined ? "(required)" : String(s.default)}  ${s.doc}`,
  );
}

function setting<T>(parse: (raw: string) => T) {
  return (env: string, doc: string, defaultValue?: T): Setting<T> => ({
    env,
    doc,
    default: defaultValue,
    parse,
  });
}

export const str = setting((raw) => raw);

export const int = (
  env: string,
  doc: string,
  defaultValue?: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
) =>
  setting((raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error("must be an integer");
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`must be between ${min} and ${max}`);
    return n;
  })(env, doc, defaultValue);

export const port = (env: string, doc: string, defaultValue?: number) =>
  int(env, doc, defaultValue, 0, 65535);

export const num = setting((raw) => {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n)) throw new Error("must be a number");
  return n;
});

export const bool = setting((raw) => {
  const v = raw.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off"].includes(v)) return false;
  throw new Error("must be true or false");
});

/** A URL whose scheme is one of `protocols` (e.g. ["postgres:", "postgresql:"]). */
export const url = (env: string, doc: string, protocols: string[], defaultValue?: string) =>
  setting((raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Error("must be a URL");
    }
    if (!protocols.includes(parsed.protocol)) throw new Error(`must be a ${protocols.join(" or ")} URL`);
    return raw;
  })(env, doc, defaultValue);

export const oneOf = <T extends string>(env: string, doc: string, values: readonly T[], defaultValue?: T) =>
  setting((raw) => {
    if (!values.includes(raw as T)) throw new Error(`must be one of ${values.join(", ")}`);
    return raw as T;
  })(env, doc, defaultValue);

/** Comma-separated list, e.g. `127.0.0.1:9092,127.0.0.1:9094`. */
export const list = setting((raw) =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

/** host:port */
export const hostPort = setting((raw) => {
  if (!/^[\w.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(raw)) throw new Error("must be host:port");
  return raw;
});

/** OpenTelemetry export (the standard variables); nothing is exported when the endpoint is empty. */
export const tracingSettings = () => ({
  otlpEndpoint: str(
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTLP/HTTP endpoint for traces, e.g. http://127.0.0.1:4318",
    "",
  ),
});

/** Settings every service shares: name, log level, the HTTP server and the shutdown budget. */
export const commonSettings = (service: string, httpPort: number, httpPortEnv = "HTTP_PORT") => ({
  serviceName: str("SERVICE_NAME", "name in logs, metrics and traces", service),
  logLevel: oneOf(
    "LOG_LEVEL",
    "pino log level",
    ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const,
    "info",
  ),
  httpHost: str("HTTP_HOST", "address the HTTP server binds", "127.0.0.1"),
  httpPort: port(httpPortEnv, "HTTP port (health, readiness, metrics)", httpPort),
  shutdownTimeoutMs: int("SHUTDOWN_TIMEOUT_MS", "how long to drain in-flight work on SIGTERM", 10_000),
  heapGrowthPercent: int(
    "HEAP_GROWTH_PERCENT",
    "how far V8 lets the heap grow past what its last full collection kept, in percent (0: V8's own factor, which goes up to 300)",
    50,
    0,
    1000,
  ),
  ...tracingSettings(),
});

/** The gRPC server of a service that has a synchronous API. */
export const grpcSettings = (grpcPort: number) => ({
  grpcHost: str("GRPC_HOST", "address the gRPC server binds", "127.0.0.1"),
  grpcPort: port("GRPC_PORT", "gRPC port", grpcPort),
});

/** The service's own PostgreSQL database. */
export const databaseSettings = (database: string) => ({
  databaseUrl: url(
    "DATABASE_URL",
    "PostgreSQL URL of this service's own database",
    ["postgres:", "postgresql:"],
    `postgres://postgres@127.0.0.1:5432/${database}`,
  ),
  databasePoolMax: int("DATABASE_POOL_MAX", "connections of the main pool (the relay adds two)", 10, 1, 1000),
});

/** Verifying callers' access tokens locally, with the auth service's public keys (see @shop/identity). */
export const accessTokenSettings = () => ({
  authJwksUrl: url(
    "AUTH_JWKS_URL",
    "the auth service's JWKS, which verifies access tokens locally",
    ["http:", "https:"],
    "http://127.0.0.1:8081/.well-known/jwks.json",
  ),
  accessTokenCacheMs: int(
    "ACCESS_TOKEN_CACHE_MS",
    "how long a verified access token is remembered so its signature is checked once (never past its exp; 0: every time)",
    60_000,
    0,
    600_000,
  ),
});

/** Kafka brokers and the topic prefix that isolates environments sharing a broker. */
export const kafkaSettings = () => ({
  kafkaBrokers: list("KAFKA_BROKERS", "comma-separated Kafka brokers", ["127.0.0.1:9092"]),
  kafkaTopicPrefix: str("KAFKA_TOPIC_PREFIX", "prefix of every topic name (isolates environments)", ""),
});
