// -e FILE (or -o memory_file=FILE): the server's side of warm restart. At
// start, before anything listens, restore the store from FILE; on a
// graceful stop, after the last request was answered, save it there. The
// image format and the store walk are segments/persist/.
//
// A consumed image is put out of reach at once: the store then changes under
// clients, and a crash (SIGKILL, OOM) must not bring back the old copy on
// the next start. It is renamed to FILE.consumed (made durable by a
// directory fsync) before anything listens, and that name is deleted in
// the background: on a filesystem that discards freed blocks, a start that
// unlinked it and fsynced waited 0.5-1.3 s per GiB for the discard
// (benchmarks/RESULTS.md, session 9). No start ever reads FILE.consumed;
// one left by a crash is removed by the next start. A refused image (damaged, another version, other
// settings) is renamed to FILE.rejected for inspection and never read
// again. Either way the next graceful stop writes a new FILE, under a name
// no file holds (the save itself removes any FILE or FILE.tmp first and says
// so in its log line: segments/persist/store-image.ts).
//
// A FILE.tmp found at start is what a crash mid-save leaves: it is removed
// (one log line, directory fsynced). A FILE beside it is not restored: every
// start consumes FILE, so a save that was still writing FILE.tmp came from
// a run that began after FILE was written and changed the cache since; FILE
// is older than what clients last saw and is set aside as refused.
//
// Not here: when a stop happens (lib/cli/main.ts, server.ts close()).

import { accessSync, constants, existsSync, renameSync, unlink, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CacheStore } from '../../segments/types.js';
import { SegmentStore } from '../../segments/segment-store.js';
import type { StoreImagePort } from '../../segments/persist/image-port.js';
import { imageHashSeed, imageTempPath, notRestored, restoreImage, saveImage, syncDirectory, type RestoreResult, type SaveResult } from '../../segments/persist/store-image.js';
import type { CommandLog } from './context.js';
import type { ServerCounters } from '../observability/server-stats.js';

/** Always printed: an operator must see whether the cache came back. */
const ALWAYS = 0;
const GIB = 1024 * 1024 * 1024;

export interface WarmRestart {
  /** Save the store to the image file (once; later calls do nothing). Synchronous, never throws. */
  save(): void;
}

/**
 * The hash seed the image in `file` was saved with, if it holds an index:
 * the store is created with it so the saved index is used as it is (reusing
 * a seed is no weaker than keeping the image: both are the owner's, 0600).
 */
export function savedHashSeed(file: string): number | undefined {
  return imageHashSeed(file);
}

/**
 * Restore `store` from `file` (logging one line), and return the saver for
 * the stop; `sync` (-o warm_restart_sync) makes the saved image durable
 * before the exit (fdatasync of the file, fsync of its directory).
 */
export function restoreAtStart(store: CacheStore, file: string, log: CommandLog, counters: ServerCounters, sync = false): WarmRestart {
  const port = store instanceof SegmentStore ? store.imagePort() : undefined;
  if (port === undefined) {
    log.line(ALWAYS, `warm restart: this store cannot be saved; -e ${file} has no effect`);
    return { save: () => {} };
  }
  removeStaleConsumed(file, log);
  const staleTemp = removeStaleTemp(file, log);
  const result: RestoreResult =
    staleTemp && existsSync(file)
      ? notRestored(`${imageTempPath(file)} was left by a save that did not finish, so ${file} is older than the cache that save held`)
      : restoreImage(port, file);
  let { warm, reason } = result;
  const present = !/^no image file/.test(reason);
  let removeMs = 0;
  if (warm) {
    const consumed = consumedPath(file);
    try {
      const t0 = performance.now();
      renameSync(file, consumed);
      // Durable before anything is served: a power cut must not bring the consumed image back.
      syncDirectory(file);
      removeMs = performance.now() - t0;
      unlink(consumed, (err) => {
        if (err !== null) log.line(ALWAYS, `WARNING: warm restart: cannot delete ${consumed} (${err.message}); the next start removes it`);
      });
    } catch (err) {
      port.reset();
      warm = false;
      reason = `cannot move ${file} out of the way after reading it (${(err as Error).message}), so a crash could bring back stale items`;
    }
  } else if (present) {
    setAside(file);
  }
  counters.restartWarm = warm ? 1 : 0;
  counters.restartItemsRestored = warm ? result.items : 0;
  if (warm) {
    const mib = (result.fileBytes / (1024 * 1024)).toFixed(1);
    const perGiB = result.fileBytes > 0 ? ((result.ms / 1000) * GIB) / result.fileBytes : 0;
    const note = reason !== '' ? ` (${reason})` : '';
    const index = result.indexRestored ? 'hash index restored' : result.indexNote !== '' ? `hash index rebuilt: ${result.indexNote}` : 'nothing to index';
    log.line(
      ALWAYS,
      `warm restart: restored ${result.items} items in ${result.segments} segments from ${file}` +
        ` (${result.expired} expired while down, ${mib} MiB in ${(result.ms / 1000).toFixed(2)} s, ${perGiB.toFixed(2)} s/GiB; ${index};` +
        ` image consumed in ${(removeMs / 1000).toFixed(2)} s)${note}`,
    );
  } else {
    log.line(ALWAYS, `cold start: ${reason}; starting with an empty cache`);
  }
  try {
    accessSync(dirname(file), constants.W_OK);
  } catch (err) {
    log.line(ALWAYS, `WARNING: warm restart: cannot write to ${dirname(file)} (${(err as Error).message}): the cache will not be saved`);
  }
  return saver(port, file, log, sync);
}

function saver(port: StoreImagePort, file: string, log: CommandLog, sync: boolean): WarmRestart {
  let saved = false;
  return {
    save(): void {
      if (saved) return;
      saved = true;
      const r = saveImage(port, file, { sync });
      if (r.ok) {
        const mib = (r.fileBytes / (1024 * 1024)).toFixed(1);
        const how =
          (r.direct ? 'direct I/O' : r.directNote !== '' ? `page cache: ${r.directNote}` : 'page cache') +
          (sync ? ', synced' : ', not synced: see -o warm_restart_sync');
        log.line(ALWAYS, `warm restart: saved ${r.items} items in ${r.segments} segments to ${file} (${mib} MiB in ${(r.ms / 1000).toFixed(2)} s, ${how}; ${fresh(r)})`);
      } else {
        log.line(ALWAYS, `warm restart: cache NOT saved: ${r.reason}`);
      }
    },
  };
}

/** How the save's file came to be new: normally nothing was on disk under either name. */
function fresh(r: SaveResult): string {
  const removed = [
    ...(r.oldImageBytes >= 0 ? [`an old image (${(r.oldImageBytes / (1024 * 1024)).toFixed(1)} MiB)`] : []),
    ...(r.oldTemp ? ['a stale .tmp'] : []),
  ];
  return removed.length === 0 ? 'written as a new file' : `written as a new file after removing ${removed.join(' and ')} in ${(r.removeMs / 1000).toFixed(2)} s`;
}

/** Where a start moves the image it read (deleted in the background, never read). */
export function consumedPath(file: string): string {
  return `${file}.consumed`;
}

/** Remove the FILE.consumed of a start whose background delete did not happen (a crash right after it; logged). */
function removeStaleConsumed(file: string, log: CommandLog): void {
  const consumed = consumedPath(file);
  if (!existsSync(consumed)) return;
  try {
    unlinkSync(consumed);
    log.line(ALWAYS, `warm restart: removed ${consumed}, an image an earlier start had already read`);
  } catch (err) {
    log.line(ALWAYS, `WARNING: warm restart: cannot remove ${consumed}: ${(err as Error).message}`);
  }
}

/** Remove the FILE.tmp of a save that did not finish (logged, made durable); true when there was one. */
function removeStaleTemp(file: string, log: CommandLog): boolean {
  const temp = imageTempPath(file);
  if (!existsSync(temp)) return false;
  try {
    unlinkSync(temp);
    syncDirectory(file);
    log.line(ALWAYS, `warm restart: removed ${temp}, left by a save that did not finish (a crash or kill mid-save)`);
  } catch (err) {
    // The next save removes it first, or reports why it cannot.
    log.line(ALWAYS, `WARNING: warm restart: cannot remove ${temp}, left by a save that did not finish: ${(err as Error).message}`);
  }
  return true;
}

/** Move a refused image out of the way (kept for inspection, never read), durably. */
function setAside(file: string): void {
  try {
    renameSync(file, `${file}.rejected`);
  } catch {
    try {
      unlinkSync(file);
    } catch {
      // Unreadable and unremovable: the next save removes it first (or fails saying why).
    }
  }
  syncDirectory(file);
}
