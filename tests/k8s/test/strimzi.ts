import type { Manifest } from "./manifests.js";

/**
 * Strimzi's essential fields, checked by hand: no npm package ships its CRDs as models (there is
 * no @kubernetes-models/strimzi). The allowed values are those of the v1beta2 CRDs.
 */
type Fields = Record<string, unknown>;

const isInt = (v: unknown, min = 0) => Number.isInteger(v) && (v as number) >= min;
const isObject = (v: unknown): v is Fields => typeof v === "object" && v !== null && !Array.isArray(v);
const oneOf = (v: unknown, values: string[]) => typeof v === "string" && values.includes(v);

const LISTENER_TYPES = ["internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip"];
const ACL_OPERATIONS = [
  "Read",
  "Write",
  "Create",
  "Delete",
  "Alter",
  "Describe",
  "ClusterAction",
  "AlterConfigs",
  "DescribeConfigs",
  "IdempotentWrite",
  "All",
];

function kafkaProblems(spec: Fields): string[] {
  const problems: string[] = [];
  const kafka = spec.kafka;
  if (!isObject(kafka)) return ["spec.kafka is required"];
  if ("zookeeper" in spec) problems.push("spec.zookeeper is set: the cluster must run in KRaft mode");
  if (typeof kafka.version !== "string") problems.push("spec.kafka.version must be a string");
  const listeners = kafka.listeners;
  if (!Array.isArray(listeners) || listeners.length === 0) problems.push("spec.kafka.listeners is empty");
  for (const [i, l] of (Array.isArray(listeners) ? listeners : []).entries()) {
    if (!isObject(l)) {
      problems.push(`listener ${i} is not an object`);
      continue;
    }
    if (typeof l.name !== "string" || !/^[a-z0-9]{1,11}$/.test(l.name))
      problems.push(`listener ${i}: bad name`);
    if (!isInt(l.port, 9092)) problems.push(`listener ${i}: port must be an integer >= 9092`);
    if (!oneOf(l.type, LISTENER_TYPES)) problems.push(`listener ${i}: type must be one of ${LISTENER_TYPES}`);
    if (typeof l.tls !== "boolean") problems.push(`listener ${i}: tls must be a boolean`);
    if (
      l.authentication !== undefined &&
      !oneOf((l.authentication as Fields)?.type, ["tls", "scram-sha-512", "oauth", "custom"])
    )
      problems.push(`listener ${i}: unknown authentication type`);
  }
  if (
    kafka.authorization !== undefined &&
    !oneOf((kafka.authorization as Fields)?.type, ["simple", "opa", "keycloak", "custom"])
  )
    problems.push("spec.kafka.authorization.type is unknown");
  const entity = spec.entityOperator;
  if (!isObject(entity) || !isObject(entity.topicOperator) || !isObject(entity.userOperator))
    problems.push("spec.entityOperator needs topicOperator and userOperator (KafkaTopic, KafkaUser)");
  return problems;
}

function nodePoolProblems(spec: Fields): string[] {
  const problems: string[] = [];
  if (!isInt(spec.replicas, 1)) problems.push("spec.replicas must be an integer >= 1");
  const roles = spec.roles;
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => oneOf(r, ["controller", "broker"])))
    problems.push("spec.roles must list controller and/or broker");
  const storage = spec.storage;
  if (!isObject(storage) || !oneOf(storage.type, ["jbod", "persistent-claim", "ephemeral"])) {
    problems.push("spec.storage.type must be jbod, persistent-claim or ephemeral");
  } else if (storage.type === "jbod") {
    const volumes = Array.isArray(storage.volumes) ? storage.volumes : [];
    if (volumes.length === 0) problems.push("spec.storage.volumes is empty");
    for (const v of volumes as Fields[]) {
      if (!isInt(v.id)) problems.push("a volume has no integer id");
      if (!oneOf(v.type, ["persistent-claim", "ephemeral"])) problems.push(`volume ${v.id}: bad type`);
      if (v.type === "persistent-claim" && typeof v.size !== "string")
        problems.push(`volume ${v.id}: no size`);
    }
  }
  return problems;
}

function topicProblems(spec: Fields): string[] {
  const problems: string[] = [];
  if (typeof spec.topicName !== "string" || !/^[a-zA-Z0-9._-]{1,249}$/.test(spec.topicName))
    problems.push("spec.topicName must be a valid topic name");
  if (!isInt(spec.partitions, 1)) problems.push("spec.partitions must be an integer >= 1");
  if (!isInt(spec.replicas, 1) || (spec.replicas as number) > 32767)
    problems.push("spec.replicas must be an integer from 1 to 32767");
  if (spec.config !== undefined && !isObject(spec.config)) problems.push("spec.config must be an object");
  return problems;
}

function userProblems(spec: Fields): string[] {
  const problems: string[] = [];
  if (!oneOf((spec.authentication as Fields)?.type, ["tls", "tls-external", "scram-sha-512"]))
    problems.push("spec.authentication.type must be tls, tls-external or scram-sha-512");
  const authorization = spec.authorization as Fields | undefined;
  if (authorization === undefined) return problems;
  if (authorization.type !== "simple") problems.push("spec.authorization.type must be simple");
  for (const [i, acl] of ((authorization.acls as Fields[] | undefined) ?? []).entries()) {
    const resource = acl.resource as Fields | undefined;
    if (!oneOf(resource?.type, ["topic", "group", "cluster", "transactionalId"]))
      problems.push(`acl ${i}: resource.type is unknown`);
    if (resource?.type !== "cluster" && typeof resource?.name !== "string")
      problems.push(`acl ${i}: no name`);
    if (resource?.patternType !== undefined && !oneOf(resource.patternType, ["literal", "prefix"]))
      problems.push(`acl ${i}: patternType must be literal or prefix`);
    const ops = acl.operations;
    if (!Array.isArray(ops) || ops.length === 0 || !ops.every((o) => oneOf(o, ACL_OPERATIONS)))
      problems.push(`acl ${i}: operations must be a non-empty list of ${ACL_OPERATIONS}`);
  }
  return problems;
}

const checks: Record<string, (spec: Fields) => string[]> = {
  Kafka: kafkaProblems,
  KafkaNodePool: nodePoolProblems,
  KafkaTopic: topicProblems,
  KafkaUser: userProblems,
};

export function strimziProblems(object: Manifest): string[] {
  if (object.apiVersion !== "kafka.strimzi.io/v1beta2")
    return [`apiVersion must be kafka.strimzi.io/v1beta2`];
  const check = checks[object.kind];
  if (!check) return [`no check for the Strimzi kind ${object.kind}`];
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(object.metadata?.name ?? ""))
    return ["metadata.name must be a DNS subdomain"];
  const needsCluster = object.kind !== "Kafka";
  if (needsCluster && !object.metadata.labels?.["strimzi.io/cluster"]) return ["no strimzi.io/cluster label"];
  return isObject(object.spec) ? check(object.spec) : ["spec is required"];
}
