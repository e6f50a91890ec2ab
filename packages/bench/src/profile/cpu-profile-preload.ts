/**
 * Preloaded into a service with `NODE_OPTIONS=--import=<this file>` (Node 20 refuses `--cpu-prof`
 * in NODE_OPTIONS). Each SIGUSR2 toggles the V8 CPU profiler: the first starts it, the second
 * stops it and writes `<BENCH_CPU_PROF_DIR>/<pid>-<n>.cpuprofile` (n = 1, 2, ...), and so on; a
 * profile still running at exit is written then. The bench signals around each phase it wants
 * profiled, so start-up and warm-up stay out of the picture. The in-process inspector session
 * answers synchronously, which is what lets the profile be written from the `exit` event.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  let running = false;
  let written = 0;

  const stop = () => {
    running = false;
    session.post("Profiler.stop", (err, result) => {
      if (err) return;
      written += 1;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/${process.pid}-${written}.cpuprofile`, JSON.stringify(result.profile));
    });
  };

  process.on("SIGUSR2", () => {
    if (running) stop();
    else {
      running = true;
      session.post("Profiler.start");
    }
  });
  process.on("exit", () => {
    if (running) stop();
  });
}
