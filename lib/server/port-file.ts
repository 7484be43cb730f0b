// memcached's MEMCACHED_PORT_FILENAME: when that variable names a file and
// the server listens on TCP/UDP (not a unix socket), every bound socket is
// written to it as `TCP INET: 11211` / `UDP INET6: 40122`, one line each in
// binding order, once all listeners are up. As memcached, the lines go to
// "<name>.lck" (appended) and that file is renamed to <name>, so a reader
// that sees the name sees it whole. Not a pid file and not read back.

import { appendFileSync, renameSync } from 'node:fs';
import type { BoundPort } from './server.js';

export const PORT_FILE_VARIABLE = 'MEMCACHED_PORT_FILENAME';

export function portFileText(bound: readonly BoundPort[]): string {
  return bound.map((b) => `${b.transport} ${b.family}: ${b.port}\n`).join('');
}

/** Writes the port file; returns the error line memcached prints when it cannot (it starts anyway). */
export function writePortFile(path: string, bound: readonly BoundPort[]): string | undefined {
  const temp = `${path}.lck`;
  try {
    appendFileSync(temp, portFileText(bound));
  } catch (err) {
    return `Failed to open "${temp}": ${err instanceof Error ? err.message : String(err)}`;
  }
  try {
    renameSync(temp, path);
  } catch {
    // memcached does not check its rename either: the .lck file stays.
  }
  return undefined;
}
