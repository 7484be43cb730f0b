// -e FILE (or -o memory_file=FILE): the server's side of warm restart. At
// start, before anything listens, restore the store from FILE; on a
// graceful stop, after the last request was answered, save it there. The
// image format and the store walk are segments/persist/.
//
// A consumed image is removed at once: the store then changes under
// clients, and a crash (SIGKILL, OOM) must not bring back the old copy on
// the next start. A refused image (damaged, another version, other
// settings) is renamed to FILE.rejected for inspection and never read
// again. Either way the next graceful stop writes a new FILE.
//
// Not here: when a stop happens (lib/cli/main.ts, server.ts close()).

import { accessSync, constants, renameSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CacheStore } from '../../segments/types.js';
import { SegmentStore } from '../../segments/segment-store.js';
import type { StoreImagePort } from '../../segments/persist/image-port.js';
import { imageHashSeed, restoreImage, saveImage } from '../../segments/persist/store-image.js';
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

/** Restore `store` from `file` (logging one line), and return the saver for the stop. */
export function restoreAtStart(store: CacheStore, file: string, log: CommandLog, counters: ServerCounters): WarmRestart {
  const port = store instanceof SegmentStore ? store.imagePort() : undefined;
  if (port === undefined) {
    log.line(ALWAYS, `warm restart: this store cannot be saved; -e ${file} has no effect`);
    return { save: () => {} };
  }
  const result = restoreImage(port, file);
  let { warm, reason } = result;
  const present = !/^no image file/.test(reason);
  if (warm) {
    try {
      unlinkSync(file);
    } catch (err) {
      port.reset();
      warm = false;
      reason = `cannot remove ${file} after reading it (${(err as Error).message}), so a crash could bring back stale items`;
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
        ` (${result.expired} expired while down, ${mib} MiB in ${(result.ms / 1000).toFixed(2)} s, ${perGiB.toFixed(2)} s/GiB; ${index})${note}`,
    );
  } else {
    log.line(ALWAYS, `cold start: ${reason}; starting with an empty cache`);
  }
  try {
    accessSync(dirname(file), constants.W_OK);
  } catch (err) {
    log.line(ALWAYS, `WARNING: warm restart: cannot write to ${dirname(file)} (${(err as Error).message}): the cache will not be saved`);
  }
  return saver(port, file, log);
}

function saver(port: StoreImagePort, file: string, log: CommandLog): WarmRestart {
  let saved = false;
  return {
    save(): void {
      if (saved) return;
      saved = true;
      const r = saveImage(port, file);
      if (r.ok) {
        const mib = (r.fileBytes / (1024 * 1024)).toFixed(1);
        const how = r.direct ? 'direct I/O' : r.directNote !== '' ? `page cache: ${r.directNote}` : 'page cache';
        log.line(ALWAYS, `warm restart: saved ${r.items} items in ${r.segments} segments to ${file} (${mib} MiB in ${(r.ms / 1000).toFixed(2)} s, ${how})`);
      } else {
        log.line(ALWAYS, `warm restart: cache NOT saved: ${r.reason}`);
      }
    },
  };
}

/** Move a refused image out of the way (kept for inspection, never read). */
function setAside(file: string): void {
  try {
    renameSync(file, `${file}.rejected`);
  } catch {
    try {
      unlinkSync(file);
    } catch {
      // Unreadable and unremovable: the next save replaces it.
    }
  }
}
