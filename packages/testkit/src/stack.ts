import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { dropTopics, kafkaBrokers, redisUrl, uniqueTopicPrefix } from "./infra.js";
import { testTlsEnv } from "./pki.js";

export const SERVICE_NAMES = ["auth", "product", "order", "payment", "notification", "gateway"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
const BACKENDS = SERVICE_NAMES.filter((s) => s !== "gateway");

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * NODE_OPTIONS of every service, as `make up` (deploy/local/stack.sh) and the image
 * (deploy/Dockerfile) set it: V8's young generation grows to two 16 MB semi-spaces by default, and
 * a service keeps them for good; two of 8 MB take 16 MB less of its RSS.
 */
export const SERVICE_NODE_OPTIONS = "--max-semi-space-size=8";

export interface StackOptions {
  /** Extra environment for every service. */
  env?: Record<string, string>;
  /** Extra environment per service (wins over `env`). */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  readyTimeoutMs?: number;
  /** How the services reach their database, from its URL (e.g. `throughSocket`). */
  databaseUrl?: (url: string) => string;
  /** Flags for every service's `node`, before the script: V8 flags that NODE_OPTIONS refuses. */
  nodeArgs?: string[];
}

export interface RunningService {
  name: ServiceName;
  httpPort: number;
  grpcPort: number;
  /** Where its `/metrics` answers: the HTTP port, but the gateway's internal admin port. */
  metricsPort: number;
  databaseUrl: string | undefined;
  pid: () => number | undefined;
  /**
   * Starts the process (again) and waits for its /readyz, or with `until: "live"` only for its
   * /healthz (listening, though a dependency such as the consumer group may not be joined yet).
   */
  start: (opts?: { until?: "ready" | "live" }) => Promise<void>;
  /** SIGTERM (graceful) by default; resolves when the process has exited. */
  stop: (signal?: NodeJS.Signals) => Promise<void>;
  logFile: string;
}

/** Ports handed out by this process, so two services of a stack never get the same one. */
const handedOut = new Set<number>();

/**
 * A free port below Linux's ephemeral range (32768 and up): a port the kernel picked with
 * `listen(0)` is an ephemeral one, and between its release here and the service's own `listen`
 * an outgoing connection of any process could take it as its local port (a service then failed
 * to start with EADDRINUSE). Ports below the range are only ever taken by a `listen`.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 10_000);
    if (handedOut.has(port)) continue;
    if (await portFree(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/**
 * A random port p with p and p+1 free, for a Kafka broker of a test's own (client and controller
 * ports): below the ephemeral range (32768 and up), where no outgoing connection takes a port, and
 * above the stacks' service ports.
 */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 6_000) * 2;
    if ((await portFree(port)) && (await portFree(port + 1))) return port;
  }
}

/** Whether nothing listens on `port` of 127.0.0.1 (a bind there succeeds, and is undone). */
export async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

async function waitReady(
  name: string,
  port: number,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
  path: "/readyz" | "/healthz" = "/readyz",
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${name} not ready on :${port} within ${timeoutMs} ms (log: ${logFile})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The whole platform as real processes (the built `services/<name>/dist/main.js`), each with a
 * database of its own, free ports, and a Kafka topic prefix of its own: an end-to-end test run
 * never shares state with another run or with `make up`. Started once per test run.
 */
export async function startStack(opts: StackOptions = {}) {
  const runId = randomBytes(3).toString("hex");
  const oneTimeTokenKey = randomBytes(32).toString("base64url");
  const topicPrefix = uniqueTopicPrefix();
  const logDir = `${REPO_ROOT}.run/logs/e2e-${runId}`;
  mkdirSync(logDir, { recursive: true });
  const admin = {
    email: `admin-${runId}@shop.test`,
    password: `Admin-${randomBytes(9).toString("base64url")}`,
  };

  const databases = new Map<ServiceName, TestDatabase>();
  await Promise.all(
    BACKENDS.map(async (s) => {
      databases.set(s, await createTestDatabase(s));
    }),
  );
  const ports = new Map<ServiceName, { http: number; grpc: number; metrics: number }>();
  for (const s of SERVICE_NAMES) {
    const http = await freePort();
    ports.set(s, { http, grpc: await freePort(), metrics: s === "gateway" ? await freePort() : http });
  }
  const addr = (s: ServiceName) => `127.0.0.1:${ports.get(s)!.grpc}`;

  const common: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    NODE_OPTIONS: SERVICE_NODE_OPTIONS,
    LOG_LEVEL: "info",
    KAFKA_BROKERS: kafkaBrokers().join(","),
    KAFKA_TOPIC_PREFIX: topicPrefix,
    REDIS_URL: redisUrl(),
    AUTH_JWKS_URL: `http://127.0.0.1:${ports.get("auth")!.http}/.well-known/jwks.json`,
    AUTH_GRPC_ADDR: addr("auth"),
    PRODUCT_GRPC_ADDR: addr("product"),
    ORDER_GRPC_ADDR: addr("order"),
    PAYMENT_GRPC_ADDR: addr("payment"),
    NOTIFICATION_GRPC_ADDR: addr("notification"),
    // Auth refuses to start without it: signing keys encrypted at rest, as in production.
    KEY_ENCRYPTION_SECRET: randomBytes(32).toString("base64url"),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    RATE_LIMIT_KEY_PREFIX: `e2e-${runId}:`,
    PRODUCT_CHANGES_CHANNEL: `e2e-${runId}:product-changes`,
    ...opts.env,
  };

  const services = new Map<ServiceName, RunningService>();
  for (const name of SERVICE_NAMES) {
    const p = ports.get(name)!;
    const db = databases.get(name);
    const logFile = `${logDir}/${name}.log`;
    let child: ChildProcess | undefined;
    const env: Record<string, string> = {
      ...common,
      SERVICE_NAME: name,
      HTTP_PORT: String(p.http),
      GATEWAY_PORT: String(p.http),
      ...(name === "gateway" ? { GATEWAY_ADMIN_PORT: String(p.metrics) } : {}),
      GRPC_PORT: String(p.grpc),
      // gRPC over mutual TLS, each service with its certificate of a throwaway CA.
      ...testTlsEnv(name),
      ...(db ? { DATABASE_URL: opts.databaseUrl?.(db.url) ?? db.url } : {}),
      // Auth seals one-time tokens with it and notification opens them; no other service holds it.
      ...(name === "auth" || name === "notification" ? { ONE_TIME_TOKEN_KEY: oneTimeTokenKey } : {}),
      ...opts.serviceEnv?.[name],
    };
    const service: RunningService = {
      name,
      httpPort: p.http,
      grpcPort: p.grpc,
      metricsPort: p.metrics,
      databaseUrl: db?.url,
      logFile,
      pid: () => child?.pid,
      async start({ until = "ready" } = {}) {
        const out = createWriteStream(logFile, { flags: "a" });
        await new Promise((r) => out.once("open", r));
        child = spawn(process.execPath, [...(opts.nodeArgs ?? []), "dist/main.js"], {
          cwd: `${REPO_ROOT}services/${name}`,
          env,
          stdio: ["ignore", out, out],
        });
        await waitReady(
          name,
          p.http,
          child,
          logFile,
          opts.readyTimeoutMs ?? 60_000,
          until === "live" ? "/healthz" : "/readyz",
        );
      },
      async stop(signal: NodeJS.Signals = "SIGTERM") {
        const c = child;
        if (!c || c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((r) => c.once("exit", r));
        c.kill(signal);
        const timer = setTimeout(() => c.kill("SIGKILL"), 20_000);
        await exited;
        clearTimeout(timer);
      },
    };
    services.set(name, service);
  }

  async function stopAll() {
    for (const name of [...SERVICE_NAMES].reverse()) await services.get(name)!.stop();
    await Promise.all([...databases.values()].map((d) => d.drop().catch(() => {})));
    await dropTopics(topicPrefix);
  }

  try {
    await Promise.all(BACKENDS.map((s) => services.get(s)!.start()));
    await services.get("gateway")!.start();
  } catch (err) {
    await stopAll();
    throw err;
  }

  return {
    runId,
    topicPrefix,
    admin,
    logDir,
    gatewayUrl: `http://127.0.0.1:${ports.get("gateway")!.http}`,
    /** The gateway's internal admin port (`/metrics`). */
    gatewayAdminUrl: `http://127.0.0.1:${ports.get("gateway")!.metrics}`,
    service: (name: ServiceName) => services.get(name)!,
    databaseUrl: (name: ServiceName) => databases.get(name)?.url,
    stop: stopAll,
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;
