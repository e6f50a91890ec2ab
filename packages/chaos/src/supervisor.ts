import { readFileSync } from "node:fs";
import { SERVICE_NAMES, type ServiceName, type Stack } from "@shop/testkit";

export interface Crash {
  at: number;
  service: ServiceName;
  /** The last lines the process wrote that look like the cause. */
  cause: string;
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The error a dead process left at the end of its log: an uncaught exception or a fatal line. */
function lastWords(logFile: string): string {
  const tail = readFileSync(logFile, "utf8").split("\n").slice(-40);
  const thrown = tail.findIndex((l) => /^\w*Error\b|^\s+at |Error:/.test(l) && !l.startsWith("{"));
  if (thrown >= 0)
    return tail
      .slice(Math.max(0, thrown - 3), thrown + 3)
      .join(" | ")
      .slice(0, 600);
  const fatal = tail.filter((l) => /"level":"(fatal|error)"/.test(l)).pop();
  return (fatal ?? tail.filter(Boolean).pop() ?? "no output").slice(0, 600);
}

/**
 * What a process supervisor (systemd, Kubernetes, compose `restart:`) does: a service that dies
 * on its own is recorded as a crash and started again. Services a fault stops on purpose are
 * left alone while `expectDown` runs.
 */
export function createSupervisor(stack: Stack, intervalMs = 500) {
  const crashes: Crash[] = [];
  const onPurpose = new Set<ServiceName>();
  const restarting = new Set<ServiceName>();
  let timer: NodeJS.Timeout | undefined;

  async function restart(name: ServiceName) {
    restarting.add(name);
    try {
      crashes.push({ at: Date.now(), service: name, cause: lastWords(stack.service(name).logFile) });
      await stack.service(name).start();
    } catch {
      // Tried again at the next tick.
    } finally {
      restarting.delete(name);
    }
  }

  function tick() {
    for (const name of SERVICE_NAMES) {
      if (onPurpose.has(name) || restarting.has(name)) continue;
      if (!alive(stack.service(name).pid())) void restart(name);
    }
  }

  return {
    crashes,
    start() {
      timer ??= setInterval(tick, intervalMs);
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      while (restarting.size > 0) await new Promise((r) => setTimeout(r, 100));
    },
    /** Runs `fn` (which stops and starts `name` on purpose) without the supervisor stepping in. */
    async expectDown<T>(name: ServiceName, fn: () => Promise<T>): Promise<T> {
      onPurpose.add(name);
      try {
        return await fn();
      } finally {
        onPurpose.delete(name);
      }
    },
  };
}

export type Supervisor = ReturnType<typeof createSupervisor>;
