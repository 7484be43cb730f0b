// One `watch` connection: a WatchSink on the bus (watch-bus.ts) and the
// ReplyStream the connection pumps. Lines wait in a bounded buffer
// (memcached's watcher_logbuf_size, 256 KiB); a line that does not fit is
// dropped and counted, and the next line that fits is preceded by
// `skipped=N`, as memcached's logger writes it. The connection's own
// backpressure stops pumping while the client does not read, so a slow
// watcher costs at most this buffer plus the connection's output limit.

import type { ReplyStream } from '../server/context.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';
import type { WatchBus, WatchSink } from './watch-bus.js';

/** memcached's default watcher_logbuf_size. */
export const WATCHER_BUFFER_BYTES = 256 * 1024;

export class WatchStream implements ReplyStream, WatchSink {
  readonly dropsInput = true;
  readonly minGid: number;
  private lines: string[] = [];
  private bytes = 0;
  private skipped = 0;
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(
    private readonly bus: WatchBus,
    readonly flags: number,
    private readonly capacity = WATCHER_BUFFER_BYTES,
  ) {
    this.minGid = bus.nextGid();
  }

  /** Connect the connection's wake-up (Session.startStream's result). */
  attach(wake: () => void): void {
    this.wake = wake;
  }

  offer(line: string): void {
    // memcached keeps room for a skipped= line with every line.
    if (this.bytes + line.length + 128 > this.capacity) {
      this.skipped++;
      this.bus.countSkipped();
      return;
    }
    if (this.skipped > 0) {
      const note = `skipped=${this.skipped}\n`;
      this.lines.push(note);
      this.bytes += note.length;
      this.skipped = 0;
    }
    this.lines.push(line);
    this.bytes += line.length;
    this.bus.countSent();
    // The connection schedules at most one pump however often woken.
    this.wake?.();
  }

  pump(out: ReplyWriter): 'idle' {
    for (const line of this.lines) out.writeAscii(line);
    this.lines = [];
    this.bytes = 0;
    return 'idle';
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.bus.unsubscribe(this);
  }
}
