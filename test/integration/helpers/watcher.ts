// A `watch` client for the integration tests: send `watch <args>`, keep
// everything the server streams afterwards, and poll until a check holds.

import type net from 'node:net';
import { connect, readUntil } from './exchange.js';

/** Open a connection, send `watch args`, and collect its text (the OK line first). */
export async function startWatcher(target: number | string, args: string): Promise<{ socket: net.Socket; text: () => string }> {
  const socket = await connect(target);
  let text = '';
  const ok = readUntil(socket, (b) => b.toString('latin1').includes('\r\n'));
  socket.write(`watch ${args}\r\n`);
  text = (await ok).reply.toString('latin1');
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  return { socket, text: () => text };
}

/**
 * Poll every 10 ms until `check` holds. A wait that never ends fails with
 * `what` and `state()` after `patienceMs` (a bound on a hang, not a
 * performance threshold: it only turns tap's silent file timeout into a
 * message that says which wait hung and what had arrived).
 */
export async function waitFor(check: () => boolean, what = 'a condition', state: () => string = () => '', patienceMs = 60_000): Promise<void> {
  const giveUp = Date.now() + patienceMs;
  while (!check()) {
    if (Date.now() > giveUp) {
      const seen = state();
      throw new Error(`waited ${patienceMs / 1000} s for ${what}${seen === '' ? '' : `; had: ${seen.slice(-2000)}`}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
