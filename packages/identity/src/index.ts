export * from "./test-issuer.js";
export * from "./verifier.js";
