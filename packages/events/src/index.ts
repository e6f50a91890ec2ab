export * from "./catalogue.js";
export { createEventCodec, type Envelope, type EventCatalogue, type EventCodec } from "./codec.js";
export * from "./envelope.js";
export * from "./product-changes.js";
export * from "./product-near-cache.js";
export * from "./versioning.js";
