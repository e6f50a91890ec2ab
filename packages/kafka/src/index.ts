export { CompressionTypes, type Consumer, type Kafka, type KafkaMessage, type Producer } from "kafkajs";
export * from "./client.js";
export * from "./topics.js";
