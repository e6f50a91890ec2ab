export * from "./database.js";
export * from "./events.js";
export * from "./infra.js";
export * from "./pki.js";
export * from "./stack.js";
