export * from "./one-time-token-seal.js";
export * from "./test-issuer.js";
export * from "./verifier.js";
