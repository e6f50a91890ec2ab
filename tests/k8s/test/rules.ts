import { CONSUMER_GROUPS, deadLetterTopic, type TopicKey, topics } from "@shop/events";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IService } from "kubernetes-models/v1/Service";
import { type Manifest, named, ofKind, selects } from "./manifests.js";

/** Who calls whom (the services' *_GRPC_ADDR settings; every token checker reads auth's JWKS). */
export const GRPC_CALLERS: Record<string, string[]> = {
  auth: ["gateway"],
  product: ["gateway", "order"],
  order: ["gateway"],
  payment: ["gateway"],
  notification: ["gateway"],
};
const JWKS_READERS = ["gateway", "product", "order", "payment", "notification"];
const PROMETHEUS = "monitoring/prometheus";
/** The gateway's internal admin port (GATEWAY_ADMIN_PORT): /metrics, never public. */
const GATEWAY_ADMIN_PORT = 9080;
/** The topics each service writes through its outbox (the aggregate it owns). */
const WRITES: Record<string, TopicKey[]> = {
  auth: ["users"],
  product: ["inventory"],
  order: ["orders"],
  payment: ["payments"],
  notification: [],
};

const appContainer = (d: IDeployment): IContainer | undefined => d.spec?.template.spec?.containers[0];

/** A variable as the container sees it: env first, then its ConfigMaps (the last wins). */
function envValue(container: IContainer, configMaps: IConfigMap[], variable: string): string | undefined {
  const direct = container.env?.find((e) => e.name === variable);
  if (direct) return direct.value;
  let value: string | undefined;
  for (const source of container.envFrom ?? []) {
    const data = source.configMapRef && named(configMaps as Manifest[], source.configMapRef.name ?? "");
    const found = (data as IConfigMap | undefined)?.data?.[variable];
    if (found !== undefined) value = found;
  }
  return value;
}

/** SHUTDOWN_TIMEOUT_MS as the container sees it (10000, the default of commonSettings, if unset). */
function shutdownTimeoutMs(container: IContainer, configMaps: IConfigMap[]): number {
  return Number(envValue(container, configMaps, "SHUTDOWN_TIMEOUT_MS") ?? "10000");
}

/** Probes, resources, hardening and the shutdown budget of every Deployment. */
export function deploymentProblems(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const configMaps = ofKind<IConfigMap>(objects, "ConfigMap");
  const deployments = ofKind<IDeployment>(objects, "Deployment");
  if (deployments.length === 0) problems.push("no Deployment at all");
  for (const d of deployments) {
    const name = d.metadata.name;
    const pod = d.spec?.template.spec;
    const c = appContainer(d);
    if (!pod || !c) {
      problems.push(`${name}: no container`);
      continue;
    }
    const httpPort = c.ports?.find((p) => p.name === "http");
    if (!httpPort) problems.push(`${name}: no container port named http`);
    const probePaths = { readinessProbe: "/readyz", livenessProbe: "/healthz", startupProbe: "/healthz" };
    for (const [probe, path] of Object.entries(probePaths)) {
      const get = c[probe as keyof typeof probePaths]?.httpGet;
      if (get?.path !== path) problems.push(`${name}: ${probe} must GET ${path}`);
      if (get && get.port !== "http" && get.port !== httpPort?.containerPort)
        problems.push(`${name}: ${probe} must use the HTTP port`);
    }
    for (const kind of ["requests", "limits"] as const) {
      for (const resource of ["cpu", "memory"]) {
        if (c.resources?.[kind]?.[resource] === undefined) problems.push(`${name}: no ${resource} ${kind}`);
      }
    }
    const sc = c.securityContext;
    if (!(sc?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot)) problems.push(`${name}: not runAsNonRoot`);
    if (sc?.readOnlyRootFilesystem !== true) problems.push(`${name}: root filesystem not read-only`);
    if (sc?.allowPrivilegeEscalation !== false) problems.push(`${name}: allowPrivilegeEscalation not false`);
    if (!sc?.capabilities?.drop?.includes("ALL")) problems.push(`${name}: capabilities not dropped`);
    const seccomp = sc?.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault") problems.push(`${name}: seccomp profile not RuntimeDefault`);
    const tmp = c.volumeMounts?.find((m) => m.mountPath === "/tmp");
    if (!tmp || !pod.volumes?.find((v) => v.name === tmp.name)?.emptyDir)
      problems.push(`${name}: /tmp is not an emptyDir`);
    if (!c.image?.startsWith(`ghcr.io/shop-saga/${name}:`)) problems.push(`${name}: image ${c.image}`);
    // The pause before SIGTERM, then the service's own drain budget, then a margin.
    const sleep = c.lifecycle?.preStop?.exec?.command;
    const pause = sleep?.[0] === "sleep" ? Number(sleep[1]) : Number.NaN;
    if (Number.isNaN(pause)) problems.push(`${name}: no preStop sleep`);
    const budget = (pause || 0) + shutdownTimeoutMs(c, configMaps) / 1000 + 1;
    const grace = pod.terminationGracePeriodSeconds;
    if (grace === undefined || grace < budget)
      problems.push(
        `${name}: terminationGracePeriodSeconds ${grace} is below preStop + SHUTDOWN_TIMEOUT_MS + 1 s (${budget})`,
      );
  }
  return problems;
}

/** Exactly one HorizontalPodAutoscaler and one PodDisruptionBudget per Deployment, aimed at it. */
export function scalingProblems(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const deployments = ofKind<IDeployment>(objects, "Deployment");
  const hpas = ofKind<IHorizontalPodAutoscaler>(objects, "HorizontalPodAutoscaler");
  const pdbs = ofKind<IPodDisruptionBudget>(objects, "PodDisruptionBudget");
  for (const d of deployments) {
    const name = d.metadata.name;
    const mine = hpas.filter(
      (h) =>
        h.spec?.scaleTargetRef.kind === "Deployment" &&
        h.spec.scaleTargetRef.apiVersion === "apps/v1" &&
        h.spec.scaleTargetRef.name === name,
    );
    if (mine.length !== 1) problems.push(`${name}: ${mine.length} HorizontalPodAutoscalers`);
    if (d.spec?.replicas !== undefined) problems.push(`${name}: sets replicas, which its autoscaler owns`);
    const labels = d.spec?.template.metadata?.labels;
    const guards = pdbs.filter((p) => selects(p.spec?.selector, labels));
    if (guards.length !== 1) problems.push(`${name}: ${guards.length} PodDisruptionBudgets`);
  }
  const names = new Set(deployments.map((d) => d.metadata.name));
  for (const h of hpas)
    if (!names.has(h.spec?.scaleTargetRef.name ?? ""))
      problems.push(`HPA ${h.metadata.name} targets nothing`);
  for (const p of pdbs)
    if (!deployments.some((d) => selects(p.spec?.selector, d.spec?.template.metadata?.labels)))
      problems.push(`PDB ${p.metadata.name} guards no Deployment`);
  return problems;
}

/**
 * Only the gateway's Service may be a LoadBalancer, and it never carries the admin port; every
 * gRPC port has a headless Service.
 */
export function serviceProblems(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const services = ofKind<IService>(objects, "Service");
  for (const s of services) {
    if (s.spec?.type === "LoadBalancer" && s.metadata.name !== "gateway")
      problems.push(`Service ${s.metadata.name} is a LoadBalancer`);
    if (s.spec?.type === "NodePort") problems.push(`Service ${s.metadata.name} is a NodePort`);
    const admin = s.spec?.ports?.find(
      (p) => p.targetPort === "admin" || p.targetPort === GATEWAY_ADMIN_PORT || p.port === GATEWAY_ADMIN_PORT,
    );
    if (admin && s.spec?.type !== undefined && s.spec.type !== "ClusterIP")
      problems.push(`Service ${s.metadata.name} (${s.spec.type}) exposes the admin port`);
  }
  for (const name of Object.keys(GRPC_CALLERS)) {
    const grpc = named(services, `${name}-grpc`);
    if (grpc?.spec?.clusterIP !== "None") problems.push(`${name}: no headless Service ${name}-grpc`);
  }
  return problems;
}

function peerName(peer: INetworkPolicyPeer): string {
  if (peer.ipBlock) return `ip:${peer.ipBlock.cidr}`;
  const pod = peer.podSelector?.matchLabels?.["app.kubernetes.io/name"];
  const podOk = peer.podSelector && !peer.podSelector.matchExpressions?.length && pod;
  if (peer.namespaceSelector) {
    const ns = peer.namespaceSelector.matchLabels?.["kubernetes.io/metadata.name"] ?? "?";
    return `${ns}/${podOk ? pod : "*"}`;
  }
  return podOk ? pod : `pods:${JSON.stringify(peer.podSelector)}`;
}

/** For each port of the pods labelled `labels`, who the NetworkPolicies let in ("*": anyone). */
export function admitted(
  policies: INetworkPolicy[],
  labels: Record<string, string>,
  ports: { name?: string; containerPort: number }[],
): Map<number, string[]> {
  const result = new Map<number, Set<string>>(ports.map((p) => [p.containerPort, new Set<string>()]));
  for (const np of policies) {
    if (!selects(np.spec?.podSelector, labels)) continue;
    for (const rule of np.spec?.ingress ?? []) {
      for (const port of ports) {
        const matches =
          !rule.ports?.length ||
          rule.ports.some(
            (p) => p.port === undefined || p.port === port.containerPort || p.port === port.name,
          );
        if (!matches) continue;
        const peers = rule.from?.length ? rule.from.map(peerName) : ["*"];
        for (const peer of peers) result.get(port.containerPort)?.add(peer);
      }
    }
  }
  return new Map([...result].map(([port, peers]) => [port, [...peers].sort()]));
}

/** Default deny, the gateway's public port open to all (its admin port to Prometheus), each gRPC port to its callers, HTTP to Prometheus (and JWKS readers). */
export function networkPolicyProblems(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const policies = ofKind<INetworkPolicy>(objects, "NetworkPolicy");
  const denyAll = policies.some(
    (p) =>
      Object.keys(p.spec?.podSelector?.matchLabels ?? {}).length === 0 &&
      !p.spec?.podSelector?.matchExpressions?.length &&
      p.spec?.policyTypes?.includes("Ingress") &&
      !p.spec.ingress?.length,
  );
  if (!denyAll) problems.push("no default-deny ingress NetworkPolicy");
  for (const d of ofKind<IDeployment>(objects, "Deployment")) {
    const name = d.metadata.name;
    const ports = appContainer(d)?.ports ?? [];
    const allowed = admitted(policies, d.spec?.template.metadata?.labels ?? {}, ports);
    const expected = new Map<number, string[]>();
    for (const p of ports) {
      if (name === "gateway" && p.name === "admin") expected.set(p.containerPort, [PROMETHEUS]);
      else if (name === "gateway") expected.set(p.containerPort, ["*"]);
      else if (p.name === "grpc") expected.set(p.containerPort, [...(GRPC_CALLERS[name] ?? [])].sort());
      else if (p.name === "http")
        expected.set(p.containerPort, [...(name === "auth" ? JWKS_READERS : []), PROMETHEUS].sort());
    }
    for (const [port, peers] of allowed) {
      const want = expected.get(port) ?? [];
      if (JSON.stringify(peers) !== JSON.stringify(want))
        problems.push(`${name}:${port} admits [${peers}], expected [${want}]`);
    }
  }
  return problems;
}

interface CertificateSpec {
  spec: {
    secretName: string;
    commonName?: string;
    dnsNames?: string[];
    isCA?: boolean;
    usages?: string[];
    privateKey?: { algorithm?: string; encoding?: string };
    issuerRef: { name: string; kind?: string; group?: string };
  };
}
interface IssuerSpec {
  spec: { ca?: { secretName: string }; selfSigned?: object };
}

/**
 * gRPC mutual TLS: each service's cert-manager Certificate (CN and DNS name = the service, as
 * clients expect; server and client auth; a PKCS#8 key) from the namespace's CA Issuer, and each
 * Deployment mounting its own service's Secret with GRPC_TLS_{CA,CERT,KEY}_FILE pointing into it.
 */
export function grpcTlsProblems(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const configMaps = ofKind<IConfigMap>(objects, "ConfigMap");
  const certificates = ofKind<CertificateSpec>(objects, "Certificate", "cert-manager.io");
  const issuers = ofKind<IssuerSpec>(objects, "Issuer", "cert-manager.io");
  for (const d of ofKind<IDeployment>(objects, "Deployment")) {
    const name = d.metadata.name;
    const secretName = `${name}-grpc-tls`;
    const cert = certificates.find((c) => c.spec.secretName === secretName);
    if (!cert) problems.push(`${name}: no Certificate writing ${secretName}`);
    else {
      if (cert.spec.commonName !== name) problems.push(`${name}: certificate CN ${cert.spec.commonName}`);
      if (!cert.spec.dnsNames?.includes(name)) problems.push(`${name}: certificate lacks DNS:${name}`);
      for (const usage of ["server auth", "client auth"])
        if (!cert.spec.usages?.includes(usage)) problems.push(`${name}: certificate without ${usage}`);
      if (cert.spec.privateKey?.encoding !== "PKCS8") problems.push(`${name}: key not PKCS#8`);
      const issuer =
        cert.spec.issuerRef.kind === "Issuer" ? named(issuers, cert.spec.issuerRef.name) : undefined;
      const ca =
        issuer?.spec.ca && certificates.find((c) => c.spec.secretName === issuer.spec.ca?.secretName);
      if (!ca?.spec.isCA) problems.push(`${name}: certificate not issued by the namespace's CA Issuer`);
    }
    const pod = d.spec?.template.spec;
    const c = appContainer(d);
    if (!pod || !c) continue;
    const volume = pod.volumes?.find((v) => v.secret?.secretName === secretName);
    const mount = volume && c.volumeMounts?.find((m) => m.name === volume.name);
    if (!mount) {
      problems.push(`${name}: does not mount ${secretName}`);
      continue;
    }
    if (mount.readOnly !== true) problems.push(`${name}: ${secretName} not mounted read-only`);
    const others = pod.volumes?.filter((v) => v.secret?.secretName?.endsWith("-grpc-tls") && v !== volume);
    for (const v of others ?? []) problems.push(`${name}: mounts another service's ${v.secret?.secretName}`);
    if (envValue(c, configMaps, "GRPC_TLS") === "off") problems.push(`${name}: GRPC_TLS=off`);
    const files = { GRPC_TLS_CA_FILE: "ca.crt", GRPC_TLS_CERT_FILE: "tls.crt", GRPC_TLS_KEY_FILE: "tls.key" };
    for (const [variable, file] of Object.entries(files)) {
      const want = `${mount.mountPath.replace(/\/$/, "")}/${file}`;
      const value = envValue(c, configMaps, variable);
      if (value !== want) problems.push(`${name}: ${variable} is ${value}, expected ${want}`);
    }
  }
  return problems;
}

/** The services that seal and open one-time tokens (auth and notification, the same key). */
const ONE_TIME_TOKEN_HOLDERS = ["auth", "notification"];

/** A Secret's value of `key` (rendered Secrets only: generated in dev, existing ones in prod). */
function secretValue(secret: ISecret | undefined, key: string): string | undefined {
  const encoded = secret?.data?.[key];
  return encoded !== undefined ? Buffer.from(encoded, "base64").toString() : secret?.stringData?.[key];
}

/**
 * ONE_TIME_TOKEN_KEY reaches auth and notification only, from one and the same Secret key (never
 * a literal or a ConfigMap); a rendered value must be 32 bytes in base64url.
 */
export function oneTimeTokenKeyProblems(objects: Manifest[]): string[] {
  const variable = "ONE_TIME_TOKEN_KEY";
  const problems: string[] = [];
  const secrets = ofKind<ISecret>(objects, "Secret");
  const configMaps = ofKind<IConfigMap>(objects, "ConfigMap");
  const sources = new Map<string, string>();
  for (const d of ofKind<IDeployment>(objects, "Deployment")) {
    const name = d.metadata.name;
    const c = appContainer(d);
    if (!c) continue;
    const found: string[] = [];
    const direct = c.env?.find((e) => e.name === variable);
    if (direct?.valueFrom?.secretKeyRef)
      found.push(`secret:${direct.valueFrom.secretKeyRef.name}/${direct.valueFrom.secretKeyRef.key}`);
    else if (direct) found.push("not a Secret");
    for (const source of c.envFrom ?? []) {
      if (
        source.secretRef &&
        secretValue(named(secrets, source.secretRef.name ?? ""), variable) !== undefined
      )
        found.push(`secret:${source.secretRef.name}/${variable}`);
      const map = source.configMapRef && named(configMaps, source.configMapRef.name ?? "");
      if (map?.data?.[variable] !== undefined) found.push("not a Secret");
    }
    const holder = ONE_TIME_TOKEN_HOLDERS.includes(name);
    if (!holder && found.length) problems.push(`${name}: gets ${variable}`);
    if (holder && !found.length) problems.push(`${name}: no ${variable}`);
    if (holder && found.includes("not a Secret")) problems.push(`${name}: ${variable} not from a Secret`);
    if (holder && found[0]) sources.set(name, found[0]);
  }
  if (new Set(sources.values()).size > 1)
    problems.push(
      `${variable} from different Secrets: ${[...sources].map(([n, s]) => `${n} ${s}`).join(", ")}`,
    );
  for (const secret of secrets) {
    const value = secretValue(secret, variable);
    if (value !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(value))
      problems.push(`Secret ${secret.metadata?.name}: ${variable} is not 32 bytes in base64url`);
  }
  return problems;
}

interface ServiceMonitorSpec {
  spec: {
    selector: { matchLabels?: Record<string, string> };
    endpoints?: { port?: string; path?: string }[];
  };
}

/**
 * Each ServiceMonitor scrapes /metrics from a named port of the Services it selects, and that
 * port reaches the container port serving /metrics: `http`, but the gateway's `admin`.
 */
export function monitoringProblems(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const services = ofKind<IService>(objects, "Service");
  const monitors = ofKind<ServiceMonitorSpec>(objects, "ServiceMonitor");
  for (const d of ofKind<IDeployment>(objects, "Deployment")) {
    const name = d.metadata.name;
    const metricsPort = name === "gateway" ? "admin" : "http";
    const monitor = named(monitors, name);
    if (!monitor) {
      problems.push(`${name}: no ServiceMonitor`);
      continue;
    }
    const selected = services.filter((s) => selects(monitor.spec.selector, s.metadata.labels));
    if (selected.length === 0) problems.push(`${name}: its ServiceMonitor selects no Service`);
    for (const endpoint of monitor.spec.endpoints ?? []) {
      if (endpoint.path !== "/metrics") problems.push(`${name}: scrapes ${endpoint.path}`);
      for (const s of selected) {
        const port = s.spec?.ports?.find((p) => p.name === endpoint.port);
        if (port?.targetPort !== metricsPort)
          problems.push(
            `${name}: ServiceMonitor port ${endpoint.port} of Service ${s.metadata.name} does not reach ${metricsPort}`,
          );
      }
    }
  }
  return problems;
}

interface KafkaTopicSpec {
  spec: { topicName: string; partitions: number; replicas: number; config?: Record<string, unknown> };
}
interface KafkaUserSpec {
  spec: {
    authentication: { type: string };
    authorization?: { acls?: { resource: { type: string; name?: string }; operations: string[] }[] };
  };
}

/** Every topic of packages/events and every dead-letter topic, replicated as the overlay demands. */
export function kafkaTopicProblems(
  objects: Manifest[],
  want: { replicas: number; minInsync: number },
): string[] {
  const problems: string[] = [];
  const declared = ofKind<KafkaTopicSpec>(objects, "KafkaTopic");
  const expected = [...Object.values(topics), ...Object.keys(CONSUMER_GROUPS).map((g) => deadLetterTopic(g))];
  const names = declared.map((t) => t.spec.topicName);
  for (const topic of expected) if (!names.includes(topic)) problems.push(`no KafkaTopic for ${topic}`);
  for (const topic of names)
    if (!expected.includes(topic)) problems.push(`KafkaTopic ${topic} is used by no service`);
  for (const t of declared) {
    if (t.spec.replicas !== want.replicas) problems.push(`${t.spec.topicName}: replicas ${t.spec.replicas}`);
    const minIsr = Number(t.spec.config?.["min.insync.replicas"]);
    if (minIsr !== want.minInsync) problems.push(`${t.spec.topicName}: min.insync.replicas ${minIsr}`);
  }
  return problems;
}

/** Each KafkaUser (SCRAM-SHA-512) holds exactly its service's writes, reads and consumer groups. */
export function kafkaUserProblems(objects: Manifest[]): string[] {
  const problems: string[] = [];
  const users = ofKind<KafkaUserSpec>(objects, "KafkaUser");
  for (const [service, writes] of Object.entries(WRITES)) {
    const groups = Object.keys(CONSUMER_GROUPS).filter((g) => g.split("-")[0] === service);
    const expected = new Set<string>([
      ...writes.map((t) => `topic:${topics[t]}:Describe,Write`),
      ...groups.map((g) => `topic:${deadLetterTopic(g)}:Describe,Write`),
      ...new Set(groups.flatMap((g) => CONSUMER_GROUPS[g]!.map((t) => `topic:${topics[t]}:Describe,Read`))),
      ...groups.map((g) => `group:${g}:Read`),
    ]);
    const user = named(users, service);
    if (!user) {
      problems.push(`no KafkaUser ${service}`);
      continue;
    }
    if (user.spec.authentication.type !== "scram-sha-512") problems.push(`${service}: not SCRAM-SHA-512`);
    const acls = (user.spec.authorization?.acls ?? []).map(
      (a) => `${a.resource.type}:${a.resource.name}:${[...a.operations].sort().join(",")}`,
    );
    const extra = acls.filter((a) => !expected.has(a));
    const missing = [...expected].filter((a) => !acls.includes(a));
    if (extra.length || missing.length)
      problems.push(`${service}: ACLs beyond its needs [${extra}], missing [${missing}]`);
  }
  return problems;
}
