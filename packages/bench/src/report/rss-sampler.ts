import { readFileSync } from "node:fs";

export interface RssSummary {
  pid: number | undefined;
  samples: number;
  maxMb: number;
  meanMb: number;
  lastMb: number;
  /**
   * RssFile at the sample of the maximum: mapped files, the `node` binary above all. Those pages
   * are shared by every process that maps them, yet RSS counts them in each one.
   */
  fileMbAtMax?: number;
}

/** VmRSS and its file-backed part (RssFile) in MB, from the text of /proc/<pid>/status. */
export function parseRss(status: string): { rssMb: number; fileMb: number } | undefined {
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  const file = /^RssFile:\s+(\d+) kB/m.exec(status);
  return rss
    ? { rssMb: Number(rss[1]) / 1024, fileMb: file ? Number(file[1]) / 1024 : Number.NaN }
    : undefined;
}

function readRss(pid: number): { rssMb: number; fileMb: number } | undefined {
  try {
    return parseRss(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return undefined;
  }
}

/** VmRSS of a process in MB, from /proc/<pid>/status; undefined when it is gone or unreadable. */
export function readRssMb(pid: number): number | undefined {
  return readRss(pid)?.rssMb;
}

/** Samples the resident memory of named processes once per `intervalMs` until stopped. */
export function startRssSampler(pids: Record<string, number | undefined>, intervalMs = 1_000) {
  const samples = new Map<string, { rssMb: number; fileMb: number }[]>(Object.keys(pids).map((k) => [k, []]));
  function sample() {
    for (const [name, pid] of Object.entries(pids)) {
      const mb = pid === undefined ? undefined : readRss(pid);
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
        const top = list.reduce<{ rssMb: number; fileMb: number } | undefined>(
          (best, x) => (best && best.rssMb >= x.rssMb ? best : x),
          undefined,
        );
        out[name] = {
          pid: pids[name],
          samples: list.length,
          maxMb: top?.rssMb ?? Number.NaN,
          meanMb: list.length ? list.reduce((a, b) => a + b.rssMb, 0) / list.length : Number.NaN,
          lastMb: list.at(-1)?.rssMb ?? Number.NaN,
          fileMbAtMax: top?.fileMb,
        };
      }
      return out;
    },
  };
}
