export { CLIENT_VERSION, NodeStartError, RacecoinNode } from "./node.ts";
export { defaultNodeOptions, type NodeOptions } from "./options.ts";
export { ConsensusService } from "./consensusService.ts";
export { defaultP2pOptions, type P2pOptions } from "./options.ts";
