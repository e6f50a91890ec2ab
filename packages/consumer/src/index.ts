export * from "./consumer.js";
export * from "./retry-policy.js";
