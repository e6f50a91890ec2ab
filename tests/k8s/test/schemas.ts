import * as certManager from "@kubernetes-models/cert-manager";
import * as cnpg from "@kubernetes-models/cloudnative-pg";
import * as prometheusOperator from "@kubernetes-models/prometheus-operator";
import * as k8s from "kubernetes-models";
import type { Manifest } from "./manifests.js";
import { strimziProblems } from "./strimzi.js";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: object) => Validatable;
type Modules = Record<string, Record<string, Record<string, unknown>>>;

/**
 * `networking.k8s.io/v1` -> the export `networkingK8sIo.v1`, `cert-manager.io/v1` ->
 * `certManagerIo.v1`; the core group `v1` -> `v1`.
 */
function modelOf(modules: Modules, apiVersion: string, kind: string): ModelClass | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const key = group ? group.replace(/[.-](\w)/g, (_, c: string) => c.toUpperCase()) : version!;
  const versions = group ? modules[key] : { [version!]: modules[key] };
  const model = versions?.[version!]?.[kind];
  return typeof model === "function" ? (model as ModelClass) : undefined;
}

const modelSources: Modules[] = [
  k8s as unknown as Modules,
  cnpg as unknown as Modules,
  prometheusOperator as unknown as Modules,
  certManager as unknown as Modules,
];

/**
 * Validates each object against its API schema: the Kubernetes API (kubernetes-models), the
 * CloudNativePG, prometheus-operator and cert-manager CRDs (their @kubernetes-models packages). No package ships
 * Strimzi's CRDs, so its resources get the hand-written checks of strimzi.ts. Returns one line per
 * problem; an object of an API none of these knows is a problem too.
 */
export function schemaProblems(objects: Manifest[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const where = `${object.kind} ${object.metadata?.name}`;
    if (object.apiVersion.startsWith("kafka.strimzi.io/")) {
      problems.push(...strimziProblems(object).map((p) => `${where}: ${p}`));
      continue;
    }
    const Model = modelSources.map((m) => modelOf(m, object.apiVersion, object.kind)).find(Boolean);
    if (!Model) {
      problems.push(`${where}: no schema known for ${object.apiVersion}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
    }
  }
  return problems;
}
