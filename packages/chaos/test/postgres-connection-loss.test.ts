import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pgServerUrl, uid } from "@shop/testkit";
import postgres from "postgres";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/busy-pool.mjs", import.meta.url));

/**
 * Found by the pg-terminate scenario: postgres.js 3.4.9 defers small writes to a setImmediate;
 * when the connection closes first, `nextWrite` calls `socket.write` on null and throws outside
 * any promise (porsager/postgres#1154, #1208). The exception is uncaught, so the service dies.
 */
describe("a postgres.js pool whose connections are terminated under load", () => {
  it("when the server terminates its connections again and again, then the process survives", async () => {
    const app = `chaos-pool-${uid()}`;
    const child = spawn(process.execPath, [fixture, `${pgServerUrl()}/postgres`, app], {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
    const admin = postgres(`${pgServerUrl()}/postgres`, { max: 1, onnotice: () => {} });
    try {
      const until = Date.now() + 8_000;
      while (Date.now() < until && child.exitCode === null) {
        await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${app}`;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 60));
      }
    } finally {
      await admin.end({ timeout: 5 });
    }
    const crashedEarly = child.exitCode !== null;
    child.kill("SIGTERM");
    const code = await exited;
    expect(output, output).not.toMatch(/TypeError/);
    expect(crashedEarly).toBe(false);
    expect(code).toBe(0);
    expect(output).toMatch(/^ok \d+/m);
  });
});
