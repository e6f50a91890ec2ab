import { readdirSync, readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) this summary reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  wallMs: number;
  busyMs: number;
  idleMs: number;
  gcMs: number;
  topFunctions: SelfTime[];
  /** Self time by who owns the code: a package, a workspace package or service, node internals. */
  byOwner: SelfTime[];
}

const SPECIAL = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

/** Who owns a script: `kafkajs`, `@shop/consumer`, `service order`, `node:internal`, ... */
export function ownerOf(url: string, functionName = ""): string {
  if (!url) return SPECIAL.has(functionName) ? functionName : "(native)";
  if (url.startsWith("node:")) return url.startsWith("node:internal") ? "node:internal" : url;
  const pnpm = /node_modules\/\.pnpm\/(@[^+/]+\+[^@/]+|[^@/]+)@/.exec(url);
  if (pnpm) return pnpm[1]!.replace("+", "/");
  const nm = /node_modules\/(@[^/]+\/[^/]+|[^/]+)\//.exec(url);
  if (nm) return nm[1]!;
  const ws = /\/(packages|services)\/([^/]+)\//.exec(url);
  if (ws) return ws[1] === "packages" ? `@shop/${ws[2]}` : `service ${ws[2]}`;
  return url;
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf("node_modules/");
  if (i >= 0) return url.slice(i + "node_modules/".length).replace(/^\.pnpm\/[^/]+\/node_modules\//, "");
  const ws = /\/((packages|services)\/.*)$/.exec(url);
  return ws ? ws[1]! : url.replace(/^file:\/\//, "");
}

/**
 * Self time per function (the time the sampled stack's top frame was that function), summed
 * over every call site of the same function. A sample's duration is the gap to the next sample.
 */
export function summariseProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<string, { frame: CallFrame; us: number }>();
  const ownerUs = new Map<string, number>();
  let idleUs = 0;
  let gcUs = 0;
  const n = profile.samples.length;
  const avgDelta = n > 0 ? (profile.endTime - profile.startTime) / n : 0;
  for (let i = 0; i < n; i++) {
    const frame = byId.get(profile.samples[i]!);
    if (!frame) continue;
    const us = i + 1 < n ? Math.max(0, profile.timeDeltas[i + 1]!) : avgDelta;
    if (frame.functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    if (frame.functionName === "(garbage collector)") gcUs += us;
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}`;
    const entry = selfUs.get(key) ?? { frame, us: 0 };
    entry.us += us;
    selfUs.set(key, entry);
    const owner = ownerOf(frame.url, frame.functionName);
    ownerUs.set(owner, (ownerUs.get(owner) ?? 0) + us);
  }
  const wallUs = profile.endTime - profile.startTime;
  const busyUs = Math.max(1, wallUs - idleUs);
  const topFunctions = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map(({ frame, us }) => ({
      name: frame.functionName || "(anonymous)",
      where: frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : "",
      ms: us / 1000,
      share: us / busyUs,
    }));
  const byOwner = [...ownerUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, where: "", ms: us / 1000, share: us / busyUs }));
  return {
    wallMs: wallUs / 1000,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    gcMs: gcUs / 1000,
    topFunctions,
    byOwner,
  };
}

/**
 * The summary of one .cpuprofile in a directory: the `nth` profile a process wrote
 * (`<pid>-<n>.cpuprofile`) when given, else the last file by name.
 */
export function summariseDirectory(dir: string, top = 15, nth?: number): ProfileSummary | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile") && (nth === undefined || f.endsWith(`-${nth}.cpuprofile`)))
    .sort();
  const newest = files.at(-1);
  if (!newest) return undefined;
  return summariseProfile(JSON.parse(readFileSync(`${dir}/${newest}`, "utf8")) as CpuProfile, top);
}
