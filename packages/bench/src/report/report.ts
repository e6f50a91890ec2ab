import type { PgbenchResult } from "../baselines/pgbench.js";
import type { ReadPathResult } from "../baselines/read-path.js";
import type { BenchConfig } from "../config.js";
import type { Verdict } from "../load/rate-plan.js";
import type { ProfileSummary } from "../profile/summarise.js";
import type { BrokerWarmup } from "../saga/broker-warmup.js";
import type { SagaStepResult } from "../saga/saga-load.js";
import type { CpuUsage } from "./cpu-usage.js";
import type { WaitSample } from "./db-wait-sampler.js";
import type { HopTime } from "./hop-times.js";
import type { MachineInfo } from "./machine.js";
import type { MemoryBreakdown } from "./memory-breakdown.js";
import type { RelayRounds } from "./relay-rounds.js";
import type { RssSummary } from "./rss-sampler.js";

export type Failed = { error: string };

/** One run at a fixed rate with the CPU the machine spent on it (absent in older reports). */
export type MeasuredRun = SagaStepResult & { cpu?: CpuUsage };

/** A measured run, judged. */
export type StepReport = MeasuredRun & { verdict: Verdict };

/** Sagas that reached a terminal state in a step. */
export const sagasFinished = (s: SagaStepResult) => s.paid + s.cancelled;

/** CPU the whole machine ran per saga finished in a step (load generator, brokers and databases included). */
export function machineMsPerSaga(s: MeasuredRun): number {
  const sagas = sagasFinished(s);
  return s.cpu && sagas > 0 ? (s.cpu.machine.busy * 1000) / sagas : Number.NaN;
}

export interface Target {
  name: string;
  target: string;
  result: string;
  /** null when the figure could not be measured. */
  met: boolean | null;
  limitedBy: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  mode: "full" | "quick";
  command: string;
  machine: { atStart: MachineInfo; loadAverageAtEnd: number[] };
  versions: { node: string; kafka: string; postgres: Record<string, string> | Failed };
  settings: Omit<BenchConfig, "adminPassword"> & {
    stack: string;
    serviceEnv: unknown;
    env: unknown;
    nodeArgs?: string[];
  };
  readPath: ReadPathResult | Failed | undefined;
  database: PgbenchResult | Failed | undefined;
  /** Absent in older reports; skipped when BENCH_BROKER_WARMUP_SECONDS=0. */
  brokerWarmup?: BrokerWarmup | Failed | { skipped: string };
  /** The load each fresh stack got before it was judged (absent in older reports). */
  warmups?: MeasuredRun[];
  steps: StepReport[];
  sustainableRate: number;
  /** Highest rate the saga kept up with when only completions and errors counted (p99 ignored). */
  capacity:
    | {
        rate: number;
        steps: StepReport[];
        /** Why the probe added no step, when it did not. */
        skipped?: string;
      }
    | undefined;
  sustained: StepReport | undefined;
  /** The sustained runs that missed before `sustained`, in the order run (absent in older reports). */
  sustainedMisses?: StepReport[];
  /** Older reports' single missed sustained run; read it through `missedSustainedRuns`. */
  sustainedMissed?: StepReport;
  /** What the services' database connections were doing during the sustained run. */
  dbActivity: WaitSample[] | undefined;
  dbActivityFailures: { failures: number; lastError: string } | undefined;
  /** Orders by status once the sustained run was over (its drain wait included). */
  ordersAfterSustained: Record<string, number> | Failed | undefined;
  /** Each outbox relay's rounds over the sustained run and its drain wait (absent in older reports). */
  relayRounds?: Record<string, RelayRounds>;
  /** The events' stretches (outbox, delivery, handler) over the sustained run and its drain wait (absent in older reports). */
  hopTimes?: HopTime[];
  /** Heap and external memory of each service at the end of the sustained run (its /metrics). */
  memory: Record<string, MemoryBreakdown> | undefined;
  rss: { idle: Record<string, number | undefined>; sustained: Record<string, RssSummary> | undefined };
  profile:
    | {
        rate: number;
        seconds: number;
        services: Record<string, ProfileSummary | undefined>;
        /** Sagas finished in the profiled step (absent in older reports: rate times seconds). */
        sagas?: number;
        /** CPU seconds the kernel counted for each service over the profiled step (absent in older reports). */
        kernelCpuSeconds?: Record<string, number>;
        /** Gateway and product while the read path ran at full speed. */
        readPath: Record<string, ProfileSummary | undefined>;
        readSeconds: number;
      }
    | Failed
    | { skipped: string }
    | undefined;
  targets: Target[];
  files: Record<string, string>;
}

export const isFailed = (v: unknown): v is Failed => typeof v === "object" && v !== null && "error" in v;

/** The sustained runs that missed before the reported one, in the order run, from any report's version. */
export function missedSustainedRuns(
  r: Pick<BenchReport, "sustainedMisses" | "sustainedMissed">,
): StepReport[] {
  return r.sustainedMisses ?? (r.sustainedMissed ? [r.sustainedMissed] : []);
}
