import { readdirSync, readFileSync } from "node:fs";

/**
 * What each part of the machine really ran during a window, as the Linux kernel counts it
 * (/proc/<pid>/stat and /proc/stat). Unlike a CPU profile's busy time, a thread waiting for a
 * core is not counted, so the figures hold on a loaded machine too.
 */

/** Unit of the times in /proc on Linux (USER_HZ), 100 on every common build. */
const TICKS_PER_SECOND = 100;

export interface ProcStat {
  pid: number;
  comm: string;
  /** User and system time of all its threads, seconds. */
  cpuSeconds: number;
  /** Of that, system time: the kernel working for it (system calls: sockets, files). */
  systemSeconds: number;
  /** User and system time of the children it has waited for, seconds. */
  reapedSeconds: number;
  reapedSystemSeconds: number;
}

/** One line of /proc/<pid>/stat; `comm` may hold spaces and parentheses. */
export function parseProcStat(pid: number, line: string): ProcStat {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  // Fields from the third (state) on; utime is the 14th field of the line.
  const rest = line.slice(close + 2).split(" ");
  const n = (field: number) => Number(rest[field - 3]);
  return {
    pid,
    comm: line.slice(open + 1, close),
    cpuSeconds: (n(14) + n(15)) / TICKS_PER_SECOND,
    systemSeconds: n(15) / TICKS_PER_SECOND,
    reapedSeconds: (n(16) + n(17)) / TICKS_PER_SECOND,
    reapedSystemSeconds: n(17) / TICKS_PER_SECOND,
  };
}

export interface MachineTimes {
  /** Seconds summed over all cores. */
  busy: number;
  steal: number;
  idle: number;
}

/** The first line of /proc/stat: the times of all cores together. */
export function parseMachineTimes(procStat: string): MachineTimes {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = procStat
    .slice(0, procStat.indexOf("\n"))
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number) as number[];
  return {
    busy: (user! + nice! + system! + irq! + softirq!) / TICKS_PER_SECOND,
    steal: (steal ?? 0) / TICKS_PER_SECOND,
    idle: (idle! + iowait!) / TICKS_PER_SECOND,
  };
}

/** Prefix of the group of a process that no grouping claims: its command name follows. */
export const OTHER = "other: ";

/** Which group a process belongs to; undefined puts it under `OTHER` and its command name. */
export type Grouping = (p: ProcStat, cmdline: () => string) => string | undefined;

/** The bench's own stack: its services by pid, this process, and the servers they use. */
export function stackGrouping(services: Record<string, number | undefined>): Grouping {
  const byPid = new Map<number, string>();
  for (const [name, pid] of Object.entries(services)) if (pid !== undefined) byPid.set(pid, name);
  return (p, cmdline) => {
    const service = byPid.get(p.pid);
    if (service) return service;
    if (p.pid === process.pid) return "bench (load generator and its consumer)";
    if (p.comm === "postgres") return "PostgreSQL";
    if (p.comm === "redis-server") return "Redis";
    if (p.comm === "java" && cmdline().includes("kafka.Kafka")) return "Kafka";
    return undefined;
  };
}

export interface Snapshot {
  machine: MachineTimes;
  procs: Map<number, ProcStat & { group: string }>;
}

function snapshot(grouping: Grouping): Snapshot {
  const procs = new Map<number, ProcStat & { group: string }>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = parseProcStat(pid, readFileSync(`/proc/${pid}/stat`, "utf8"));
      const group =
        grouping(stat, () => readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")) ??
        `${OTHER}${stat.comm}`;
      procs.set(pid, { ...stat, group });
    } catch {
      // The process ended while the list was read.
    }
  }
  return { machine: parseMachineTimes(readFileSync("/proc/stat", "utf8")), procs };
}

export interface CpuUsage {
  wallSeconds: number;
  /** CPU seconds each group ran during the window, and how much of it was system time. */
  groups: Record<string, { seconds: number; systemSeconds: number }>;
  machine: MachineTimes;
  /** The same count in consecutive windows, when asked for (`startCpuUsage`'s `windowMs`). */
  windows?: CpuWindow[];
}

/** Cores each part kept busy in one slice of a run: where a minute's creep or stall went. */
export interface CpuWindow {
  /** Seconds from the start of the count to the start of the window. */
  at: number;
  seconds: number;
  /** Cores each group of the stack kept busy on average (processes outside it are left out). */
  cores: Record<string, number>;
  /** Cores the whole machine kept busy, and the hypervisor's steal. */
  machineCores: number;
  stealCores: number;
}

/**
 * CPU seconds per group between two snapshots. A process that started in the window counts in
 * full; one that ended counts through its parent's reaped time when the parent is in a group
 * (PostgreSQL's postmaster reaps its backends), less what it had run before the window.
 */
export function cpuBetween(a: Snapshot, b: Snapshot, wallSeconds: number): CpuUsage {
  const total = secondsPerGroup(a, b, "cpuSeconds", "reapedSeconds");
  const system = secondsPerGroup(a, b, "systemSeconds", "reapedSystemSeconds");
  const groups: CpuUsage["groups"] = {};
  for (const [group, seconds] of total) groups[group] = { seconds, systemSeconds: system.get(group) ?? 0 };
  return {
    wallSeconds,
    groups,
    machine: {
      busy: b.machine.busy - a.machine.busy,
      steal: b.machine.steal - a.machine.steal,
      idle: b.machine.idle - a.machine.idle,
    },
  };
}

/** One of the times (all, or system only) per group, counted as `cpuBetween` describes. */
function secondsPerGroup(
  a: Snapshot,
  b: Snapshot,
  own: "cpuSeconds" | "systemSeconds",
  reapedTime: "reapedSeconds" | "reapedSystemSeconds",
): Map<string, number> {
  const live = new Map<string, number>();
  const reaped = new Map<string, number>();
  const endedBefore = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const [pid, end] of b.procs) {
    const start = a.procs.get(pid);
    add(live, end.group, end[own] - (start?.[own] ?? 0));
    add(reaped, end.group, end[reapedTime] - (start?.[reapedTime] ?? 0));
  }
  for (const [pid, start] of a.procs) if (!b.procs.has(pid)) add(endedBefore, start.group, start[own]);
  const out = new Map<string, number>();
  for (const group of new Set([...live.keys(), ...endedBefore.keys()])) {
    const ended = Math.max(0, (reaped.get(group) ?? 0) - (endedBefore.get(group) ?? 0));
    out.set(group, (live.get(group) ?? 0) + ended);
  }
  return out;
}

/**
 * Starts counting now; `stop` returns what each group ran since. With `windowMs`, a snapshot every
 * `windowMs` also cuts the count into consecutive windows; the last one ends at `stop`, and joins
 * the one before when it would be shorter than a quarter window.
 */
export function startCpuUsage(grouping: Grouping, windowMs = 0): { stop(): CpuUsage } {
  const began = performance.now();
  const first = snapshot(grouping);
  const windows: CpuWindow[] = [];
  type Mark = { snap: Snapshot; at: number };
  let open: Mark = { snap: first, at: began };
  let lastClosed: Mark | undefined;
  const cut = (atStop: boolean) => {
    const end = { snap: snapshot(grouping), at: performance.now() };
    let from = open;
    if (atStop && lastClosed && end.at - open.at < windowMs / 4) {
      windows.pop();
      from = lastClosed;
    }
    const seconds = (end.at - from.at) / 1000;
    if (seconds > 0)
      windows.push(cpuWindow(cpuBetween(from.snap, end.snap, seconds), (from.at - began) / 1000));
    lastClosed = from;
    open = end;
  };
  const timer = windowMs > 0 ? setInterval(() => cut(false), windowMs) : undefined;
  timer?.unref();
  return {
    stop: () => {
      if (!timer) return cpuBetween(first, snapshot(grouping), (performance.now() - began) / 1000);
      clearInterval(timer);
      cut(true);
      return { ...cpuBetween(first, open.snap, (open.at - began) / 1000), windows };
    },
  };
}

/** One window's count as cores busy, rounded to what /proc's 10-ms ticks can tell. */
function cpuWindow(cpu: CpuUsage, at: number): CpuWindow {
  const round = (v: number) => Math.round(v * 1000) / 1000;
  const cores: Record<string, number> = {};
  for (const [group, { seconds }] of Object.entries(cpu.groups)) {
    if (!group.startsWith(OTHER) && seconds > 0) cores[group] = round(seconds / cpu.wallSeconds);
  }
  return {
    at: round(at),
    seconds: round(cpu.wallSeconds),
    cores,
    machineCores: round(cpu.machine.busy / cpu.wallSeconds),
    stealCores: round(cpu.machine.steal / cpu.wallSeconds),
  };
}

export interface CpuShare {
  group: string;
  seconds: number;
  /** Of `seconds`, system time; undefined where the kernel does not tell. */
  systemSeconds: number | undefined;
  /** Cores it kept busy on average. */
  cores: number;
  msPerSaga: number;
}

/**
 * The groups, busiest first, then what the rest of the machine ran and the hypervisor's steal,
 * each also per saga (`sagas` finished in the window).
 */
export function cpuShares(cpu: CpuUsage, sagas: number): CpuShare[] {
  const share = (group: string, seconds: number, systemSeconds?: number): CpuShare => ({
    group,
    seconds,
    systemSeconds,
    cores: seconds / cpu.wallSeconds,
    msPerSaga: sagas > 0 ? (seconds * 1000) / sagas : Number.NaN,
  });
  const all = Object.entries(cpu.groups)
    .map(([g, s]) => share(g, s.seconds, s.systemSeconds))
    .sort((a, b) => b.seconds - a.seconds);
  // Processes outside the stack are named when they ran at least 1% of a core.
  const named = all.filter((x) => !x.group.startsWith(OTHER) || x.cores >= 0.01);
  const counted = named.reduce((sum, s) => sum + s.seconds, 0);
  return [
    ...named,
    share("the rest of the machine", Math.max(0, cpu.machine.busy - counted)),
    share("steal (the hypervisor ran other guests)", cpu.machine.steal),
  ];
}
