import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The compose stack is where the gateway meets the internet; these guard what it exposes.
const deploy = new URL("../../../deploy/", import.meta.url);
const compose = readFileSync(new URL("docker-compose.yml", deploy), "utf8");
const prometheus = readFileSync(new URL("prometheus/prometheus.yml", deploy), "utf8");

/** Each service's published port entries, by a two-space-indented `name:` and its `ports:` list. */
function publishedPorts(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let service = "";
  let inPorts = false;
  for (const line of compose.split("\n")) {
    const top = /^ {2}([\w-]+):\s*$/.exec(line);
    if (top) {
      service = top[1]!;
      inPorts = false;
      continue;
    }
    if (/^ {4}ports:\s*$/.test(line)) {
      inPorts = true;
      continue;
    }
    const entry = /^ {6}- "?([^"\s]+)"?\s*$/.exec(line);
    if (inPorts && entry) out[service] = [...(out[service] ?? []), entry[1]!];
    else if (!/^\s*(#.*)?$/.test(line)) inPorts = false;
  }
  return out;
}

describe("what the compose stack exposes", () => {
  it("when ports are published, then only the gateway's public port is on every interface", () => {
    const ports = publishedPorts();
    expect(ports.gateway).toEqual(["8080:8080"]);
    for (const [service, entries] of Object.entries(ports)) {
      if (service === "gateway") continue;
      for (const entry of entries) expect(entry, `${service} publishes ${entry}`).toMatch(/^127\.0\.0\.1:/);
    }
    expect(Object.keys(ports).sort()).toEqual(["gateway", "grafana", "jaeger", "prometheus"]);
  });

  it("when Grafana starts, then its admin password comes from the env file and nobody is anonymous", () => {
    expect(compose).toMatch(/GF_SECURITY_ADMIN_PASSWORD: \$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}/);
    expect(compose).toMatch(/GF_AUTH_ANONYMOUS_ENABLED: "false"/);
    expect(readFileSync(new URL(".env.example", deploy), "utf8")).toMatch(/^GRAFANA_ADMIN_PASSWORD=$/m);
  });

  it("when Prometheus starts, then its lifecycle API is off and it scrapes the gateway's admin port", () => {
    expect(compose).not.toMatch(/^\s*- --web\.enable-lifecycle/m);
    expect(prometheus).toMatch(/^\s*- gateway:9080\b/m);
    expect(prometheus).not.toMatch(/gateway:8080/);
    expect(compose).toMatch(/GATEWAY_ADMIN_PORT: 9080/);
  });
});
