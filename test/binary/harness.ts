// A binary-protocol exchange without sockets: packets go through the real
// parser and responder against a real store, replies come back decoded.
// Used by the responder tests; the integration tests use a real server.

import { createStore } from '../../segments/index.js';
import type { Clock } from '../../segments/types.js';
import { parseBinaryRequest } from '../../protocol/binary/parse.js';
import { ReplyWriter } from '../../protocol/reply-writer.js';
import { DEFAULT_LIMITS } from '../../protocol/request.js';
import { respondBinary } from '../../lib/respond/respond-binary.js';
import { createServerContext, type ServerContextWithSources } from '../../lib/server/server-context.js';
import { createCommandLog } from '../../lib/observability/logger.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT, type Settings } from '../../lib/cli/settings.js';
import type { SaslVerifier, Session } from '../../lib/server/context.js';
import { decodeReplies, type Reply } from './packets.js';

export class ManualClock implements Clock {
  ms = Date.UTC(2024, 0, 1);
  nowMs(): number {
    return this.ms;
  }
  advanceSeconds(s: number): void {
    this.ms += s * 1000;
  }
}

export interface Harness {
  ctx: ServerContextWithSources;
  session: Session & { closed: boolean };
  clock: ManualClock;
  logLines: string[];
  /** Send packets (each parsed whole), return decoded replies; parser errors are included. */
  send(...packets: Buffer[]): Reply[];
}

export function createHarness(
  opts: { settings?: Partial<Settings>; sasl?: SaslVerifier; itemSizeMax?: number; parserMaxValue?: number } = {},
): Harness {
  const clock = new ManualClock();
  const settings: Settings = { ...DEFAULT_SETTINGS, port: EPHEMERAL_PORT, ...opts.settings };
  const store = createStore({
    memoryLimitBytes: 8 * 1024 * 1024,
    itemSizeMax: opts.itemSizeMax ?? settings.itemSizeMax,
    casEnabled: settings.casEnabled,
    clock,
  });
  const logLines: string[] = [];
  const ctx = createServerContext({
    settings,
    store,
    log: createCommandLog(settings.verbosity, (l) => logLines.push(l)),
    sasl: opts.sasl,
    connections: () => [],
    onShutdown: () => {},
    clock,
  });
  const session = {
    id: 7,
    authenticated: opts.sasl === undefined,
    closed: false,
    closeAfterWrite(): void {
      this.closed = true;
    },
    replyRoom: Number.POSITIVE_INFINITY,
    makeRoom: () => true,
    resumeAfterDrain: () => {},
  };
  const limits = { ...DEFAULT_LIMITS, maxValueBytes: opts.parserMaxValue ?? opts.itemSizeMax ?? settings.itemSizeMax };
  return {
    ctx,
    session,
    clock,
    logLines,
    send(...packets: Buffer[]): Reply[] {
      const out = new ReplyWriter(256);
      for (const p of packets) {
        const r = parseBinaryRequest(p, 0, limits);
        if (r.kind === 'ok') respondBinary(r.request, ctx, session, out);
        else if (r.kind === 'error' || r.kind === 'swallow') out.writeBuffer(r.reply);
        else throw new Error('incomplete packet in test');
      }
      const taken = out.take();
      if (taken === null) return [];
      return decodeReplies(Array.isArray(taken) ? Buffer.concat(taken) : taken);
    },
  };
}
