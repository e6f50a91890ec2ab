export * from "./catalogue.js";
export * from "./envelope.js";
export * from "./product-changes.js";
export * from "./product-near-cache.js";
