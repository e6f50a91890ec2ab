import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  benchSocketDir,
  SERVICE_NAMES,
  SERVICE_NODE_OPTIONS,
  type ServiceName,
  startStack,
  throughSocket,
} from "@shop/testkit";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const PROFILE_PRELOAD = fileURLToPath(new URL("../profile/cpu-profile-preload.js", import.meta.url));

/** The services' environment for a benchmark: quiet logs, no rate limits in the way, no failed payments. */
export const BENCH_ENV: Record<string, string> = {
  LOG_LEVEL: "warn",
  RATE_LIMIT_MAX: "100000000",
  LOGIN_RATE_LIMIT_MAX: "100000",
  // Node flags for every service (the services' own by default), to compare settings.
  NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? SERVICE_NODE_OPTIONS,
  // Any other service settings to compare (BENCH_SERVICES_ENV="ACCESS_TOKEN_CACHE_MS=0 ...").
  ...parseAssignments(process.env.BENCH_SERVICES_ENV ?? ""),
};

/** `NAME=value` pairs separated by spaces; anything else is refused with the variable's name. */
function parseAssignments(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(" ").filter(Boolean)) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) throw new Error(`BENCH_SERVICES_ENV: "${pair}" is not NAME=value`);
    out[match[1]!] = match[2]!;
  }
  return out;
}
/**
 * Flags for every service's `node` (BENCH_NODE_ARGS, space-separated): the V8 flags that
 * NODE_OPTIONS refuses, e.g. "--optimize-for-size".
 */
export const BENCH_NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
export const BENCH_SERVICE_ENV: Partial<Record<ServiceName, Record<string, string>>> = {
  payment: { PAYMENT_FAILURE_MODE: "none" },
};

/** Names the services whose build output is missing (the stack runs services/<name>/dist/main.js). */
export function unbuiltServices(): string[] {
  return SERVICE_NAMES.filter((s) => !existsSync(`${REPO_ROOT}services/${s}/dist/main.js`));
}

/**
 * The whole platform as real processes (see @shop/testkit startStack). With `profileDir`, each
 * service runs under the CPU profiler and writes a .cpuprofile to `<profileDir>/<service>` on exit.
 */
export async function startBenchStack(profileDir?: string) {
  const serviceEnv: Partial<Record<ServiceName, Record<string, string>>> = {};
  for (const name of SERVICE_NAMES) {
    const env = { ...BENCH_SERVICE_ENV[name] };
    if (profileDir) {
      mkdirSync(`${profileDir}/${name}`, { recursive: true });
      // Node 20 refuses --cpu-prof in NODE_OPTIONS; the preload does the same through the inspector.
      env.NODE_OPTIONS = `${BENCH_ENV.NODE_OPTIONS} --import=${PROFILE_PRELOAD}`.trim();
      env.BENCH_CPU_PROF_DIR = `${profileDir}/${name}`;
    }
    serviceEnv[name] = env;
  }
  const socketDir = benchSocketDir();
  const stack = await startStack({
    env: BENCH_ENV,
    serviceEnv,
    nodeArgs: BENCH_NODE_ARGS,
    databaseUrl: (url) => throughSocket(url, socketDir),
  });
  const pids = Object.fromEntries(SERVICE_NAMES.map((s) => [s, stack.service(s).pid()])) as Record<
    ServiceName,
    number | undefined
  >;
  const databases: Record<string, string> = {};
  for (const s of SERVICE_NAMES) {
    const url = stack.databaseUrl(s);
    if (url) databases[s] = url;
  }
  // Where each service's /metrics answers (the gateway serves it on its admin port only).
  const httpPorts = Object.fromEntries(SERVICE_NAMES.map((s) => [s, stack.service(s).metricsPort]));
  return { stack, pids, databases, httpPorts };
}
