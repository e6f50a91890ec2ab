import type { Observer } from "./observer.js";
import { sleep } from "./random.js";

export interface QuietResult {
  converged: boolean;
  /** From the call until everything was caught up (or the bound ran out). */
  ms: number;
  /** What was still open at the end: empty when converged. */
  open: string[];
}

/**
 * Waits until the system has nothing left to do: every order terminal, every outbox row
 * published, every consumer group committed up to the end of what it reads. Probes that fail
 * (a database or the broker still coming back) count as not quiet yet.
 */
export async function waitForQuiet(
  observer: Observer,
  boundMs: number,
  onProgress?: (line: string) => void,
): Promise<QuietResult> {
  const started = Date.now();
  let open: string[] = ["not probed yet"];
  let lastReport = started;
  for (;;) {
    try {
      open = [];
      const nonTerminal = await observer.nonTerminalOrders();
      if (nonTerminal > 0) open.push(`${nonTerminal} orders not terminal`);
      for (const [s, b] of Object.entries(await observer.outboxBacklog()))
        if (b.pending > 0) open.push(`${s}: ${b.pending} outbox rows unpublished`);
      for (const [g, n] of Object.entries(await observer.consumerLag()))
        if (n > 0) open.push(`group ${g}: ${n} messages behind`);
    } catch (err) {
      open = [`probe failed: ${(err as Error).message}`];
    }
    if (open.length === 0) return { converged: true, ms: Date.now() - started, open };
    if (Date.now() - started > boundMs) return { converged: false, ms: Date.now() - started, open };
    if (onProgress && Date.now() - lastReport >= 5_000) {
      lastReport = Date.now();
      onProgress(`  quiet wait ${((Date.now() - started) / 1000).toFixed(0)}s: ${open.join("; ")}`);
    }
    await sleep(250);
  }
}
