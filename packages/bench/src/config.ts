import { fileURLToPath } from "node:url";
import { DEFAULT_LIMITS, type Limits } from "./load/rate-plan.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Every setting of the benchmark, from BENCH_* variables; BENCH_QUICK=1 picks a ~4-minute smoke run. */
export interface BenchConfig {
  quick: boolean;
  /** A running stack to use instead of starting one (then admin credentials and topic prefix too). */
  gatewayUrl: string | undefined;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  topicPrefix: string;
  rates: number[];
  maxRate: number;
  stepSeconds: number;
  /** Runs of a failing step before it counts as failed (the last decides). */
  stepAttempts: number;
  /** Rates tried halfway between the highest that held and the lowest that failed, after the steps. */
  refineSteps: number;
  /** Rates tried halfway down after a missed sustained run, before the highest the steps held below it. */
  sustainRefine: number;
  sustainSeconds: number;
  drainSeconds: number;
  /** Longest wait before a step for the services' consumers to empty their backlog. */
  settleSeconds: number;
  /**
   * Load on each fresh stack before anything on it is judged, so the figures are a warm stack's:
   * at 35/s a fresh stack's per-second p99 fell from about 1.9 s in its first seconds to 0.4 s
   * after 30 s and 0.2 s after 60 s (FINDINGS.md, tenth pass).
   */
  warmupSeconds: number;
  /** Messages through scratch topics before anything is measured, so the broker's JIT compilation stays out. */
  brokerWarmupSeconds: number;
  maxOutstanding: number;
  connections: number;
  timeoutMs: number;
  customers: number;
  products: number;
  readSeconds: number;
  readConnections: number;
  readRounds: number;
  pgbench: { clients: number; threads: number; seconds: number };
  /** After the steps, go on stepping with the latency limit lifted: the most the saga completes at all. */
  capacityProbe: boolean;
  profile: boolean;
  profileSeconds: number;
  outDir: string;
  limits: Limits;
}

function num(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0)
    throw new Error(`invalid configuration: ${name} must be a number >= 0 (got "${raw}")`);
  return v;
}

export function loadConfig(env: NodeJS.ProcessEnv): BenchConfig {
  const quick = env.BENCH_QUICK === "1" || env.BENCH_QUICK === "true";
  const rates = (env.BENCH_RATES ?? (quick ? "10,25,50,100" : "10,25,35,50,75,100,200,300,400,500,700"))
    .split(",")
    .map((s) => Number(s.trim()))
    .filter((r) => r > 0);
  if (rates.length === 0) throw new Error("invalid configuration: BENCH_RATES must list rates > 0");
  return {
    quick,
    gatewayUrl: env.BENCH_GATEWAY_URL || undefined,
    adminEmail: env.BENCH_ADMIN_EMAIL || undefined,
    adminPassword: env.BENCH_ADMIN_PASSWORD || undefined,
    topicPrefix: env.BENCH_TOPIC_PREFIX ?? "",
    rates,
    maxRate: num(env, "BENCH_MAX_RATE", quick ? 300 : 2_000),
    stepSeconds: num(env, "BENCH_STEP_SECONDS", quick ? 8 : 20),
    stepAttempts: Math.max(1, num(env, "BENCH_STEP_ATTEMPTS", quick ? 1 : 2)),
    refineSteps: num(env, "BENCH_REFINE_STEPS", quick ? 1 : 2),
    sustainRefine: num(env, "BENCH_SUSTAIN_REFINE", quick ? 0 : 1),
    sustainSeconds: num(env, "BENCH_SUSTAIN_SECONDS", quick ? 15 : 60),
    drainSeconds: num(env, "BENCH_DRAIN_SECONDS", quick ? 5 : 10),
    settleSeconds: num(env, "BENCH_SETTLE_SECONDS", quick ? 30 : 90),
    warmupSeconds: num(env, "BENCH_WARMUP_SECONDS", quick ? 20 : 60),
    brokerWarmupSeconds: num(env, "BENCH_BROKER_WARMUP_SECONDS", quick ? 20 : 45),
    maxOutstanding: num(env, "BENCH_MAX_OUTSTANDING", 5_000),
    connections: num(env, "BENCH_CONNECTIONS", 64),
    timeoutMs: num(env, "BENCH_TIMEOUT_MS", 10_000),
    customers: num(env, "BENCH_CUSTOMERS", quick ? 8 : 20),
    products: num(env, "BENCH_PRODUCTS", 50),
    readSeconds: num(env, "BENCH_READ_SECONDS", quick ? 4 : 10),
    readConnections: num(env, "BENCH_READ_CONNECTIONS", 32),
    readRounds: num(env, "BENCH_READ_ROUNDS", quick ? 2 : 5),
    pgbench: {
      clients: num(env, "BENCH_PGBENCH_CLIENTS", 8),
      threads: num(env, "BENCH_PGBENCH_THREADS", 2),
      seconds: num(env, "BENCH_PGBENCH_SECONDS", quick ? 8 : 20),
    },
    capacityProbe: (env.BENCH_CAPACITY ?? (quick ? "0" : "1")) === "1",
    profile: (env.BENCH_PROFILE ?? (quick ? "0" : "1")) === "1",
    profileSeconds: num(env, "BENCH_PROFILE_SECONDS", quick ? 8 : 20),
    outDir: env.BENCH_OUT ?? `${REPO_ROOT}bench-results`,
    limits: { ...DEFAULT_LIMITS, p99Ms: num(env, "BENCH_P99_LIMIT_MS", DEFAULT_LIMITS.p99Ms) },
  };
}
