export {
  type BlocksByRange,
  blocksByRangeCodec,
  type CertifiedBlock,
  certifiedBlocksCodec,
  limits as syncLimits,
  MAX_BLOCKS_PER_REQUEST,
  protocols as syncProtocols,
  type Status,
  statusCodec,
} from "./messages.ts";
export { defaultSyncOptions, type SyncOptions, SyncService } from "./sync.ts";
