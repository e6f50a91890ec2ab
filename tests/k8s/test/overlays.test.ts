import type { IService } from "kubernetes-models/v1/Service";
import { describe, expect, inject, it } from "vitest";
import { OVERLAYS } from "./global-setup.js";
import { named, ofKind, parseManifests } from "./manifests.js";
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

const built = inject("overlays");

describe.skipIf(built === null).each(OVERLAYS)("when the %s overlay is built", (overlay) => {
  const objects = parseManifests(built?.[overlay] ?? "");

  it("then every object is valid against its API schema", () => {
    expect(objects.length).toBeGreaterThan(50);
    expect(schemaProblems(objects)).toEqual([]);
  });

  it("then every object is in the namespace shop", () => {
    const outside = objects.filter((o) => o.kind !== "Namespace" && o.metadata.namespace !== "shop");
    expect(outside.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([]);
  });

  it("then every Deployment has its probes, resources, hardening and shutdown budget", () => {
    expect(ofKind(objects, "Deployment")).toHaveLength(6);
    expect(deploymentProblems(objects)).toEqual([]);
  });

  it("then every Deployment mounts its own gRPC certificate from cert-manager and points GRPC_TLS_* at it", () => {
    expect(ofKind(objects, "Certificate")).toHaveLength(7);
    expect(grpcTlsProblems(objects)).toEqual([]);
  });

  it("then only auth and notification get ONE_TIME_TOKEN_KEY, from one Secret", () => {
    expect(oneTimeTokenKeyProblems(objects)).toEqual([]);
  });

  it("then every Deployment has exactly one autoscaler and one disruption budget", () => {
    expect(scalingProblems(objects)).toEqual([]);
  });

  it("then only the gateway may be a LoadBalancer, and every gRPC server has a headless Service", () => {
    expect(serviceProblems(objects)).toEqual([]);
    const gateway = named(ofKind<IService>(objects, "Service"), "gateway");
    expect(gateway?.spec?.type).toBe(overlay === "prod" ? "LoadBalancer" : "ClusterIP");
  });

  it("then Prometheus scrapes each service's metrics port, the gateway's on its admin Service", () => {
    expect(monitoringProblems(objects)).toEqual([]);
    const admin = named(ofKind<IService>(objects, "Service"), "gateway-admin");
    expect(admin?.spec?.type).toBe("ClusterIP");
  });

  it("then each service's NetworkPolicy admits only its callers", () => {
    expect(networkPolicyProblems(objects)).toEqual([]);
  });

  it("then every topic and dead-letter topic exists, replicated for the overlay", () => {
    const want = overlay === "prod" ? { replicas: 3, minInsync: 2 } : { replicas: 1, minInsync: 1 };
    expect(kafkaTopicProblems(objects, want)).toEqual([]);
  });

  it("then each service's Kafka user may touch only its topics and groups", () => {
    expect(kafkaUserProblems(objects)).toEqual([]);
  });
});
