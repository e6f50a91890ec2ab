import { type ConfigOf, commonSettings, databaseSettings, grpcSettings } from "@shop/platform";

export const configSpec = {
  ...commonSettings("auth", 8081),
  ...grpcSettings(50051),
  ...databaseSettings("shop_auth"),
};

export type Config = ConfigOf<typeof configSpec>;
