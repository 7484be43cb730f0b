// Staging memory for O_DIRECT image I/O (image-writer.ts, image-reader.ts):
// a buffer whose start the kernel takes for direct I/O, and the probe that
// checks it. JS cannot see addresses, so two facts are combined:
//
// - The memory comes from a WebAssembly.Memory where the engine has one:
//   V8 maps a wasm memory's pages itself (mmap through its page allocator),
//   so its first byte is at least 4 KiB-aligned. An ArrayBuffer's backing
//   store comes from malloc instead, whose large blocks start 16 bytes past
//   a page; the kernel still accepts those (the device's logical block here
//   is 512 bytes) but every 4 KiB block of a write then straddles two
//   pages, and on this VM's virtio disk such writes ran 3-10x slower than
//   page-aligned ones (benchmarks/RESULTS.md, issue 12, session 7).
// - The probe: one block is read or written from offset 0, 8, 16, ... of
//   the memory until the kernel stops answering EINVAL; that offset is
//   where the staging view starts. With wasm memory it is 0. Without it
//   (WebAssembly disabled, e.g. --jitless) the probe finds the first offset
//   the kernel takes, which is correct and may be the slow kind.
//
// The restore's reader asks for the plain kind: page-aligned direct reads
// restored slower on the same VM (same RESULTS section).
//
// Not here: what is written or read, or the files' layout.

/** File offsets and lengths of direct I/O are multiples of this (covers 512- and 4096-byte devices). */
export const DIRECT_BLOCK = 4096;
/** Probe step: backing stores are at least 8-byte aligned. */
const PROBE_STEP = 8;
const WASM_PAGE = 64 * 1024;

/** The part of the WebAssembly global used here (its types are not in this project's lib). */
interface WasmMemoryApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBuffer | SharedArrayBuffer };
}

/**
 * Zeroed memory of at least `bytes + DIRECT_BLOCK` bytes (the spare block
 * leaves room for a probed offset), shared with worker threads when
 * `shared`; page-aligned at offset 0 when `pageAligned` (the default) and
 * a wasm memory could be made, else a plain buffer.
 */
export function stagingMemory(bytes: number, shared: boolean, pageAligned = true): { memory: Uint8Array; pageAligned: boolean } {
  const total = bytes + DIRECT_BLOCK;
  const wasm = (globalThis as { WebAssembly?: WasmMemoryApi }).WebAssembly;
  if (pageAligned && wasm !== undefined) {
    try {
      const pages = Math.ceil(total / WASM_PAGE);
      const memory = new wasm.Memory({ initial: pages, maximum: pages, shared });
      return { memory: new Uint8Array(memory.buffer), pageAligned: true };
    } catch {
      // No memory of that kind here: plain buffers below.
    }
  }
  return { memory: new Uint8Array(shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total)), pageAligned: false };
}

/**
 * The first view `memory.subarray(offset, offset + bytes)` whose start
 * `accepts` (a one-block direct read or write from `offset`; it throws
 * EINVAL to refuse, anything else is passed on), or null when none is taken.
 */
export function probeAligned(memory: Uint8Array, bytes: number, accepts: (offset: number) => void): Uint8Array | null {
  if (bytes <= 0 || bytes % DIRECT_BLOCK !== 0) throw new Error(`staging size ${bytes} is not a positive multiple of ${DIRECT_BLOCK}`);
  for (let offset = 0; offset < DIRECT_BLOCK && offset + bytes <= memory.length; offset += PROBE_STEP) {
    try {
      accepts(offset);
      return memory.subarray(offset, offset + bytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    }
  }
  return null;
}
