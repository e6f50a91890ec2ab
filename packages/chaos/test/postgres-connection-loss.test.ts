import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { pgServerUrl, uid } from "@shop/testkit";
import postgres from "postgres";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/busy-pool.mjs", import.meta.url));

// How long every connection of the pool is terminated, every 20-80 ms. Without the fixes each
// fault shows up several times in that time.
const FAULT_MS = 20_000;
// A connection idle in a transaction for longer than this is spared: the fixture's transactions
// send their next statement within a few milliseconds, so such a connection is one the driver has
// lost track of, and terminating it would fail (and hide) the transaction waiting on it.
const spareAfterSeconds = 0.02;
// On SIGTERM the fixture waits at most its settle bound (5 s) for the transactions in flight,
// then ends the pool with a one-second timeout.
const EXIT_BOUND_MS = 15_000;

interface Report {
  committed: number;
  failed: number;
  slowestMs: number;
  uncaughtExceptions: string[];
  unhandledRejections: string[];
  unsettled: string[];
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("close", (code) => resolve(code)));
}

/**
 * Found by the pg-terminate scenario, with postgres.js 3.4.9 under `pg_terminate_backend` of
 * every connection again and again (porsager/postgres#1154, #1192, #1223):
 * - `nextWrite` called `socket.write` on null and threw outside any promise;
 * - the internal array-types query of a new connection rejected with nothing to handle it;
 * - a socket closed with an error kept the queries written after that error (a transaction's
 *   rollback), and any closed socket its stale query and error response: on the next socket
 *   they took the answers of later queries, so a transaction waited forever for an answer
 *   already consumed, or the first query failed with the old connection's error;
 * - with connections from `sql.reserve` (#1195, #1199): a reserve waiting for a connection the
 *   server ended never got one, and a reserved connection released after its end went back to
 *   the pool's idle list without a socket, so queries sent on it never settled.
 */
describe("a postgres.js pool whose connections the server terminates under load", () => {
  it("when every connection is terminated again and again, then nothing escapes, every transaction settles and the process exits", async () => {
    const app = `chaos-pool-${uid()}`;
    const child = spawn(process.execPath, [fixture, `${pgServerUrl()}/postgres`, app], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    const exited = exitOf(child);
    const admin = postgres(`${pgServerUrl()}/postgres`, { max: 1, onnotice: () => {} });
    let terminated = 0;
    try {
      const until = Date.now() + FAULT_MS;
      while (Date.now() < until && child.exitCode === null) {
        const rows = await admin`
          select pg_terminate_backend(pid)
          from pg_stat_activity
          where application_name = ${app}
            and not (
              state = 'idle in transaction'
              and state_change < clock_timestamp() - make_interval(secs => ${spareAfterSeconds})
            )
        `;
        terminated += rows.length;
        await sleep(20 + Math.random() * 60);
      }
    } finally {
      await admin.end({ timeout: 5 });
    }
    const diedEarly = child.exitCode !== null;
    child.kill("SIGTERM");
    const exitedInTime = await Promise.race([exited.then(() => true), sleep(EXIT_BOUND_MS, false)]);
    if (!exitedInTime) child.kill("SIGKILL");
    const code = await exited;

    const line = stdout.split("\n").find((l) => l.startsWith("report "));
    const context = `stdout:\n${stdout}\nstderr:\n${stderr}`;
    expect(diedEarly, context).toBe(false);
    expect(line, context).toBeDefined();
    const report = JSON.parse(line!.slice("report ".length)) as Report;
    expect.soft(report.uncaughtExceptions).toEqual([]);
    expect.soft(report.unhandledRejections).toEqual([]);
    expect.soft(report.unsettled).toEqual([]);
    // The fault was really injected, and the pool kept working through it.
    expect(terminated).toBeGreaterThan(100);
    expect(report.failed).toBeGreaterThan(0);
    expect(report.committed).toBeGreaterThan(0);
    expect(exitedInTime, "the process did not exit after ending its pool").toBe(true);
    expect(code, context).toBe(0);
  });
});
