export { CLIENT_VERSION, NodeStartError, RacecoinNode } from "./node.ts";
export { defaultNodeOptions, type NodeOptions } from "./options.ts";
export { type BlockSource, IntervalProducer } from "./producer.ts";
