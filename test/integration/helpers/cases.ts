// Tables of raw exchanges: exact bytes in, exact bytes out, run against our
// server and (in oracle.test.ts) against the real memcached 1.6.18, so the
// expected bytes are memcached's and not our guess.
//
// In `expect`, `{name}` matches a decimal number (a CAS, a TTL) and binds
// it; a later `{name}` in a `send` or `expect` stands for the bound value.
// `{~}` matches any text up to the end of its line. Everything else is
// literal.

import type { Test } from 'tap';
import { connect, send, show } from './exchange.js';

export interface Step {
  send: string;
  expect: string;
  /** The server closes the connection after this reply. */
  closes?: boolean;
  /** What the trailing `mn` sentinel is answered with, when not `MN` (-Y before authenticating). */
  sentinelReply?: string;
}

export interface ExchangeCase {
  name: string;
  steps: Step[];
  /** Why our reply differs from memcached's on purpose; such cases are skipped against memcached. */
  oursOnly?: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compile an expectation with `{name}` placeholders into a RegExp. */
export function compileExpectation(expect: string, bound: Map<string, string>): { re: RegExp; names: string[] } {
  const names: string[] = [];
  let source = '';
  let last = 0;
  for (const m of expect.matchAll(/\{([a-z][a-z0-9]*|~)\}/g)) {
    source += escapeRegExp(expect.slice(last, m.index));
    const name = m[1] as string;
    if (name === '~') {
      source += '[^\\r\\n]*';
      last = (m.index as number) + m[0].length;
      continue;
    }
    const value = bound.get(name);
    if (value !== undefined) {
      source += escapeRegExp(value);
    } else {
      source += '(-?\\d+)';
      names.push(name);
    }
    last = (m.index as number) + m[0].length;
  }
  source += escapeRegExp(expect.slice(last));
  return { re: new RegExp(`^${source}$`, 's'), names };
}

export function fillIn(text: string, bound: Map<string, string>): string {
  return text.replace(/\{([a-z][a-z0-9]*)\}/g, (whole, name: string) => bound.get(name) ?? whole);
}

/** Run one case on a fresh connection; each step is one tap assertion. */
export async function runCase(t: Test, target: number | string, c: ExchangeCase): Promise<void> {
  const socket = await connect(target);
  const bound = new Map<string, string>();
  try {
    for (const step of c.steps) {
      const request = fillIn(step.send, bound);
      const sentinel = step.sentinelReply === undefined ? undefined : Buffer.from(step.sentinelReply, 'latin1');
      const result = await send(socket, request, step.closes === true, sentinel);
      const text = result.reply.toString('latin1');
      const { re, names } = compileExpectation(step.expect, bound);
      const m = re.exec(text);
      t.ok(m !== null, `${show(request)} -> ${show(fillIn(step.expect, bound))}`, {
        found: show(text),
        wanted: show(fillIn(step.expect, bound)),
      });
      if (step.closes) t.ok(result.closed, 'server closed the connection');
      else t.notOk(result.closed, 'connection stays open');
      if (m === null) return;
      names.forEach((name, i) => bound.set(name, m[i + 1] as string));
      if (result.closed) return;
    }
  } finally {
    socket.destroy();
  }
}
