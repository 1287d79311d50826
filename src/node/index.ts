export { CLIENT_VERSION, NodeStartError, RacecoinNode } from "./node.ts";
export { defaultNodeOptions, defaultP2pOptions, type NodeOptions, type P2pOptions } from "./options.ts";
