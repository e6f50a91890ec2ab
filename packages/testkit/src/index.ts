export * from "./database.js";
export * from "./infra.js";
export * from "./stack.js";
