import { readFileSync } from "node:fs";

export interface RssSummary {
  pid: number | undefined;
  samples: number;
  maxMb: number;
  meanMb: number;
  lastMb: number;
}

/** VmRSS of a process in MB, from /proc/<pid>/status; undefined when it is gone or unreadable. */
export function readRssMb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples the resident memory of named processes once per `intervalMs` until stopped. */
export function startRssSampler(pids: Record<string, number | undefined>, intervalMs = 1_000) {
  const samples = new Map<string, number[]>(Object.keys(pids).map((k) => [k, []]));
  function sample() {
    for (const [name, pid] of Object.entries(pids)) {
      const mb = pid === undefined ? undefined : readRssMb(pid);
      if (mb !== undefined) samples.get(name)!.push(mb);
    }
  }
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop(): Record<string, RssSummary> {
      clearInterval(timer);
      sample();
      const out: Record<string, RssSummary> = {};
      for (const [name, list] of samples) {
        out[name] = {
          pid: pids[name],
          samples: list.length,
          maxMb: list.length ? Math.max(...list) : Number.NaN,
          meanMb: list.length ? list.reduce((a, b) => a + b, 0) / list.length : Number.NaN,
          lastMb: list.at(-1) ?? Number.NaN,
        };
      }
      return out;
    },
  };
}
