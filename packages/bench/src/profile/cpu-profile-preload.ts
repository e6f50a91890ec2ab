/**
 * Preloaded into a service with `NODE_OPTIONS=--import=<this file>` (Node 20 refuses `--cpu-prof`
 * in NODE_OPTIONS). Profiling starts on SIGUSR2, which the bench sends when the load begins, so
 * start-up (module loading, JIT warm-up) stays out of the picture; the profile is written to
 * `<BENCH_CPU_PROF_DIR>/<time>-<pid>.cpuprofile` at exit. The in-process inspector session answers
 * synchronously, which is what lets the profile be written from the `exit` event.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  let started = false;
  process.on("SIGUSR2", () => {
    if (started) return;
    started = true;
    session.connect();
    session.post("Profiler.enable");
    session.post("Profiler.setSamplingInterval", { interval: 1000 });
    session.post("Profiler.start");
  });
  process.on("exit", () => {
    if (!started) return;
    session.post("Profiler.stop", (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/${Date.now()}-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  });
}
