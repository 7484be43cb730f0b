// Streaming parser for memcached text-protocol replies, for the benchmark
// clients that need the values (memory check, expiry, hit-ratio replay).
// The caller says what kind of reply each request expects, in order; the
// parser hands back whole replies as bytes arrive, however they are split.
// (The throughput load generator uses its own counting scanner instead.)

export type ReplyKind = 'line' | 'values' | 'stats';

export interface ValueItem {
  key: string;
  flags: number;
  /** CAS unique for `gets`, else -1. */
  cas: number;
  /** The data block (a view of the received bytes, without the CRLF). */
  data: Buffer;
}

export type Reply =
  | { kind: 'line'; line: string }
  /** `error` is set when an ERROR / CLIENT_ERROR / SERVER_ERROR line ended the reply instead of END. */
  | { kind: 'values'; values: ValueItem[]; error: string | undefined }
  | { kind: 'stats'; lines: string[]; error: string | undefined };

/** Longest line the parser waits for before calling the stream broken. */
const MAX_LINE = 64 * 1024;

function isErrorLine(line: string): boolean {
  return line === 'ERROR' || line.startsWith('CLIENT_ERROR') || line.startsWith('SERVER_ERROR') || line.startsWith('ERROR ');
}

export class ReplyParser {
  private readonly expected: ReplyKind[] = [];
  private head = 0;
  private leftover: Buffer | null = null;
  private values: ValueItem[] = [];
  private statLines: string[] = [];

  constructor(private readonly onReply: (reply: Reply) => void) {}

  /** Announce the kind of the next reply (call once per request sent, in order). */
  expect(kind: ReplyKind): void {
    this.expected.push(kind);
  }

  /** Replies expected and not yet complete. */
  get pending(): number {
    return this.expected.length - this.head;
  }

  /** Feed received bytes; throws on bytes that cannot be a reply. */
  feed(chunk: Buffer): void {
    const buf = this.leftover === null ? chunk : Buffer.concat([this.leftover, chunk]);
    this.leftover = null;
    let pos = 0;
    while (this.head < this.expected.length) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) break;
      const lineEnd = nl > pos && buf[nl - 1] === 13 ? nl - 1 : nl;
      const line = buf.toString('latin1', pos, lineEnd);
      const kind = this.expected[this.head]!;
      if (kind === 'line') {
        pos = nl + 1;
        this.complete({ kind: 'line', line });
      } else if (kind === 'values') {
        if (line.startsWith('VALUE ')) {
          const parts = line.split(' ');
          const bytes = Number(parts[3]);
          if (parts.length < 4 || !Number.isInteger(bytes) || bytes < 0) throw new Error(`bad VALUE line: ${line.slice(0, 80)}`);
          const dataStart = nl + 1;
          if (buf.length < dataStart + bytes + 2) break; // wait for the whole block
          this.values.push({
            key: parts[1]!,
            flags: Number(parts[2]),
            cas: parts.length > 4 ? Number(parts[4]) : -1,
            data: buf.subarray(dataStart, dataStart + bytes),
          });
          pos = dataStart + bytes + 2;
        } else {
          pos = nl + 1;
          const values = this.values;
          this.values = [];
          if (line === 'END') this.complete({ kind: 'values', values, error: undefined });
          else if (isErrorLine(line)) this.complete({ kind: 'values', values, error: line });
          else throw new Error(`unexpected line in a get reply: ${line.slice(0, 80)}`);
        }
      } else {
        pos = nl + 1;
        if (line.startsWith('STAT ')) {
          this.statLines.push(line);
        } else {
          const lines = this.statLines;
          this.statLines = [];
          this.complete({ kind: 'stats', lines, error: line === 'END' ? undefined : line });
        }
      }
    }
    if (pos < buf.length) {
      if (this.head >= this.expected.length) throw new Error(`unexpected bytes with no request pending: ${buf.toString('latin1', pos, Math.min(buf.length, pos + 80))}`);
      this.leftover = buf.subarray(pos);
      if (this.leftover.length > MAX_LINE && this.leftover.indexOf(10) < 0) throw new Error('reply line too long');
    }
  }

  private complete(reply: Reply): void {
    this.head++;
    // Drop consumed expectations now and then so the queue stays bounded.
    if (this.head > 4096 && this.head * 2 > this.expected.length) {
      this.expected.splice(0, this.head);
      this.head = 0;
    }
    this.onReply(reply);
  }
}
