import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

export const OVERLAYS = ["dev", "prod"] as const;
export type Overlay = (typeof OVERLAYS)[number];

declare module "vitest" {
  export interface ProvidedContext {
    /** The YAML `kubectl kustomize` printed for each overlay; null when kubectl is not installed. */
    overlays: Record<Overlay, string> | null;
  }
}

const k8sDir = fileURLToPath(new URL("../../../deploy/k8s/", import.meta.url));

function kubectlVersion(): string | undefined {
  try {
    return execFileSync("kubectl", ["version", "--client"], { encoding: "utf8" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

export default function setup(project: TestProject): void {
  const version = kubectlVersion();
  if (version === undefined) {
    console.warn(
      "tests/k8s: kubectl not found, the manifest checks are skipped. Install kubectl 1.27 or newer " +
        "(Kustomize 5 built in; Debian's kubernetes-client is too old): see deploy/k8s/README.md.",
    );
    project.provide("overlays", null);
    return;
  }
  const kustomize = /Kustomize Version: v(\d+)/.exec(version);
  if (!kustomize || Number(kustomize[1]) < 5) {
    throw new Error(`tests/k8s needs kubectl with Kustomize 5 or newer (kubectl >= 1.27); got:\n${version}`);
  }
  const overlays = {} as Record<Overlay, string>;
  for (const overlay of OVERLAYS) {
    overlays[overlay] = execFileSync("kubectl", ["kustomize", `${k8sDir}overlays/${overlay}`], {
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    });
  }
  project.provide("overlays", overlays);
}
