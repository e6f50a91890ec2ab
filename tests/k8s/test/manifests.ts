import { parseAllDocuments } from "yaml";

/** One object of a built overlay; the kind-specific fields are read through the models' interfaces. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export function parseManifests(yamlText: string): Manifest[] {
  return parseAllDocuments(yamlText).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
    return doc.toJS() as Manifest;
  });
}

/** The objects of one kind (and API group, when two groups share the kind), typed as `T`. */
export function ofKind<T>(objects: Manifest[], kind: string, group?: string): (Manifest & T)[] {
  return objects.filter(
    (o) => o.kind === kind && (group === undefined || o.apiVersion.startsWith(`${group}/`)),
  ) as (Manifest & T)[];
}

export function named<T extends Manifest>(objects: T[], name: string): T | undefined {
  return objects.find((o) => o.metadata.name === name);
}

/** Whether `selector` (matchLabels only, as these manifests use) selects pods labelled `labels`. */
export function selects(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || selector.matchExpressions?.length) return false;
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v);
}
