// Worker thread: recovers sender addresses for a batch of signatures. Plain JavaScript because
// Node 20 does not pass the TypeScript loader to worker threads. Must match recoverAddress in
// secp256k1.ts. Input per item is 97 bytes (digest 32 ‖ r 32 ‖ s 32 ‖ recovery 1); output is
// 21 bytes (ok 1 ‖ address 20).
import { parentPort } from "node:worker_threads";
import { createKeccak } from "hash-wasm";
import * as ecc from "tiny-secp256k1";

const keccak = await createKeccak(256);

function recover(digest, rs, recovery) {
  try {
    const pub = ecc.recover(digest, rs, recovery, false);
    if (!pub) return null;
    keccak.init();
    keccak.update(pub.subarray(1));
    return keccak.digest("binary").subarray(12);
  } catch {
    return null;
  }
}

parentPort.on("message", (msg) => {
  const out = new Uint8Array(msg.count * 21);
  for (let i = 0; i < msg.count; i++) {
    const o = i * 97;
    const addr = recover(
      msg.input.subarray(o, o + 32),
      msg.input.subarray(o + 32, o + 96),
      msg.input[o + 96],
    );
    if (addr) {
      out[i * 21] = 1;
      out.set(addr, i * 21 + 1);
    }
  }
  parentPort.postMessage({ id: msg.id, output: out }, [out.buffer]);
});
