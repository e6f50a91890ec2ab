import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IService } from "kubernetes-models/v1/Service";
import { describe, expect, inject, it } from "vitest";
import { type Manifest, named, ofKind, parseManifests } from "./manifests.js";
import {
  deploymentProblems,
  grpcTlsProblems,
  kafkaTopicProblems,
  kafkaUserProblems,
  monitoringProblems,
  networkPolicyProblems,
  oneTimeTokenKeyProblems,
  scalingProblems,
  serviceProblems,
} from "./rules.js";
import { schemaProblems } from "./schemas.js";

// Each check must catch the property it guards: break one thing in a copy of the prod overlay.
const built = inject("overlays");

function prod(): Manifest[] {
  return parseManifests(built?.prod ?? "");
}
function deployment(objects: Manifest[], name: string): IDeployment {
  return named(ofKind<IDeployment>(objects, "Deployment"), name)!;
}
function app(objects: Manifest[], name: string) {
  return deployment(objects, name).spec!.template.spec!.containers[0]!;
}

describe.skipIf(built === null)("when a rule is broken in a copy of the prod overlay", () => {
  it("then a wrong readiness path is reported", () => {
    const objects = prod();
    app(objects, "order").readinessProbe!.httpGet!.path = "/healthz";
    expect(deploymentProblems(objects)).toEqual(["order: readinessProbe must GET /readyz"]);
  });

  it("then a missing startup probe, limit or hardening is reported", () => {
    const objects = prod();
    delete app(objects, "auth").startupProbe;
    delete app(objects, "product").resources!.limits;
    app(objects, "payment").securityContext!.readOnlyRootFilesystem = false;
    deployment(objects, "gateway").spec!.template.spec!.securityContext!.runAsNonRoot = false;
    expect(deploymentProblems(objects)).toEqual([
      "auth: startupProbe must GET /healthz",
      "gateway: not runAsNonRoot",
      "payment: root filesystem not read-only",
      "product: no cpu limits",
      "product: no memory limits",
    ]);
  });

  it("then a grace period shorter than preStop plus the shutdown budget is reported", () => {
    const objects = prod();
    deployment(objects, "notification").spec!.template.spec!.terminationGracePeriodSeconds = 15;
    expect(deploymentProblems(objects)).toEqual([
      "notification: terminationGracePeriodSeconds 15 is below preStop + SHUTDOWN_TIMEOUT_MS + 1 s (16)",
    ]);
  });

  it("then another service's certificate, a missing variable or a wrong DNS name is reported", () => {
    const objects = prod();
    const volume = deployment(objects, "order").spec!.template.spec!.volumes!.find(
      (v) => v.name === "grpc-tls",
    )!;
    volume.secret!.secretName = "product-grpc-tls";
    const shopCommon = objects.find(
      (o) => o.kind === "ConfigMap" && o.metadata.name.startsWith("shop-common"),
    )!;
    delete (shopCommon.data as Record<string, string>).GRPC_TLS_KEY_FILE;
    const cert = objects.find((o) => o.kind === "Certificate" && o.metadata.name === "payment-grpc-tls")!;
    const spec = cert.spec as { dnsNames: string[]; privateKey: { encoding: string } };
    spec.dnsNames = ["payment-grpc"];
    spec.privateKey.encoding = "PKCS1";
    const problems = grpcTlsProblems(objects);
    expect(problems).toContain("order: does not mount order-grpc-tls");
    expect(problems).toContain("payment: certificate lacks DNS:payment");
    expect(problems).toContain("payment: key not PKCS#8");
    expect(problems).toContain("gateway: GRPC_TLS_KEY_FILE is undefined, expected /pki/tls.key");
    expect(problems).toHaveLength(8); // the key file of the five others, order's mount, payment's two
  });

  it("then ONE_TIME_TOKEN_KEY beyond auth and notification, or missing from one, is reported", () => {
    const objects = prod();
    const key = app(objects, "auth").env!.find((e) => e.name === "ONE_TIME_TOKEN_KEY")!;
    app(objects, "order").env!.push(structuredClone(key));
    const notification = app(objects, "notification");
    notification.env = notification.env!.filter((e) => e.name !== "ONE_TIME_TOKEN_KEY");
    app(objects, "payment").env!.push({ name: "ONE_TIME_TOKEN_KEY", value: "literal" });
    expect(oneTimeTokenKeyProblems(objects)).toEqual([
      "notification: no ONE_TIME_TOKEN_KEY",
      "order: gets ONE_TIME_TOKEN_KEY",
      "payment: gets ONE_TIME_TOKEN_KEY",
    ]);
  });

  it("then a second autoscaler or a missing disruption budget is reported", () => {
    const objects = prod();
    const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler")!;
    objects.push({ ...structuredClone(hpa), metadata: { name: "extra" } });
    const pdb = objects.findIndex((o) => o.kind === "PodDisruptionBudget" && o.metadata.name === "order");
    objects.splice(pdb, 1);
    const target = (hpa.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name;
    expect(scalingProblems(objects)).toEqual([
      `${target}: 2 HorizontalPodAutoscalers`,
      "order: 0 PodDisruptionBudgets",
    ]);
  });

  it("then a LoadBalancer other than the gateway is reported", () => {
    const objects = prod();
    named(ofKind<IService>(objects, "Service"), "auth")!.spec!.type = "LoadBalancer";
    expect(serviceProblems(objects)).toEqual(["Service auth is a LoadBalancer"]);
  });

  it("then the admin port on the load balancer, open to all, or scraped on the public port is reported", () => {
    const objects = prod();
    const services = ofKind<IService>(objects, "Service");
    named(services, "gateway")!.spec!.ports!.push({ name: "admin", port: 9080, targetPort: "admin" });
    named(services, "gateway")!.metadata.labels!["shop-saga.io/metrics"] = "true";
    const policy = named(ofKind<INetworkPolicy>(objects, "NetworkPolicy"), "gateway")!;
    delete policy.spec!.ingress![1]!.from;
    expect(serviceProblems(objects)).toEqual(["Service gateway (LoadBalancer) exposes the admin port"]);
    expect(networkPolicyProblems(objects)).toEqual([
      "gateway:9080 admits [*], expected [monitoring/prometheus]",
    ]);
    const monitor = objects.find((o) => o.kind === "ServiceMonitor" && o.metadata.name === "gateway")!;
    (monitor.spec as { endpoints: { port: string }[] }).endpoints[0]!.port = "http";
    expect(monitoringProblems(objects)).toEqual([
      "gateway: ServiceMonitor port http of Service gateway does not reach admin",
      "gateway: ServiceMonitor port http of Service gateway-admin does not reach admin",
    ]);
  });

  it("then a KafkaTopic below replicas 3 or min.insync.replicas 2 is reported", () => {
    const objects = prod();
    const topic = objects.find((o) => o.kind === "KafkaTopic")! as Manifest & {
      spec: { topicName: string; replicas: number; config: Record<string, unknown> };
    };
    topic.spec.replicas = 1;
    topic.spec.config["min.insync.replicas"] = 1;
    expect(kafkaTopicProblems(objects, { replicas: 3, minInsync: 2 })).toEqual([
      `${topic.spec.topicName}: replicas 1`,
      `${topic.spec.topicName}: min.insync.replicas 1`,
    ]);
  });

  it("then a caller that is not one, or a lost default deny, is reported", () => {
    const objects = prod();
    const policies = ofKind<INetworkPolicy>(objects, "NetworkPolicy");
    const product = named(policies, "product")!;
    product.spec!.ingress![0]!.from!.push({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "payment" } },
    });
    objects.splice(objects.indexOf(named(policies, "default-deny-ingress")!), 1);
    expect(networkPolicyProblems(objects)).toEqual([
      "no default-deny ingress NetworkPolicy",
      "product:50052 admits [gateway,order,payment], expected [gateway,order]",
    ]);
  });

  it("then a gRPC port open to every pod is reported", () => {
    const objects = prod();
    delete named(ofKind<INetworkPolicy>(objects, "NetworkPolicy"), "payment")!.spec!.ingress![0]!.from;
    expect(networkPolicyProblems(objects)).toEqual(["payment:50054 admits [*], expected [gateway]"]);
  });

  it("then an ACL beyond a service's needs is reported", () => {
    const objects = prod();
    const user = objects.find((o) => o.kind === "KafkaUser" && o.metadata.name === "notification")!;
    const acls = (user.spec as { authorization: { acls: unknown[] } }).authorization.acls;
    acls.push({ resource: { type: "topic", name: "shop.orders.v1" }, operations: ["Write", "Describe"] });
    expect(kafkaUserProblems(objects)).toEqual([
      "notification: ACLs beyond its needs [topic:shop.orders.v1:Describe,Write], missing []",
    ]);
  });

  it("then a field of the wrong type is reported by the schemas", () => {
    const objects = prod();
    (app(objects, "order").ports![0] as { containerPort: unknown }).containerPort = "8083";
    const cluster = objects.find((o) => o.kind === "Cluster")!;
    (cluster.spec as { instances: unknown }).instances = "3";
    const topic = objects.find((o) => o.kind === "KafkaTopic")!;
    (topic.spec as { partitions: unknown }).partitions = 0;
    const cert = objects.find((o) => o.kind === "Certificate")!;
    (cert.spec as { dnsNames: unknown }).dnsNames = "auth";
    const problems = schemaProblems(objects);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/containerPort must be integer/);
  });
});
