// Request traces for `grow-a-cache advise`: one request per line, parsed
// into a reused TraceLine (no allocation per line beyond the key bytes).
//
// Two formats, told apart by field count unless `format` says:
//   twitter  Twitter's open cache-trace format (twitter/cache-trace):
//            timestamp,anonymized key,key size,value size,client id,operation,TTL
//            (7 fields; ops get gets set add replace cas append prepend
//            delete incr decr touch; TTL 0 on reads, a touch's new TTL)
//   simple   op,key,value size[,ttl[,timestamp]]  (2-5 fields; a first line
//            starting "op," is a header and skipped)
// A malformed line is an error naming the line, never a guess.
//
// Not here: reading the file (lib/cli/advise.ts) or what requests do.

export type TraceOp = 'get' | 'set' | 'delete' | 'touch' | 'other';
export type TraceFormat = 'twitter' | 'simple' | 'auto';

export interface TraceLine {
  op: TraceOp;
  /** The key as it appears (hashed by the caller). */
  key: string;
  keySize: number;
  valueSize: number;
  /** Seconds; 0 = none. */
  ttl: number;
  /** Seconds since the trace's start; -1 when the line has none. */
  time: number;
}

const OPS: Record<string, TraceOp> = {
  get: 'get',
  gets: 'get',
  gat: 'get',
  gats: 'get',
  set: 'set',
  add: 'set',
  replace: 'set',
  cas: 'set',
  append: 'set',
  prepend: 'set',
  delete: 'delete',
  incr: 'other',
  decr: 'other',
  touch: 'touch',
};

const MAX_VALUE = 2 ** 31 - 1;

/** Parse a non-negative integer field; NaN when it is not one. */
function count(field: string | undefined, max = MAX_VALUE): number {
  if (field === undefined || !/^\d{1,15}$/.test(field.trim())) return NaN;
  const n = Number(field.trim());
  return n <= max ? n : NaN;
}

export class TraceParseError extends Error {
  constructor(
    readonly lineNumber: number,
    readonly reason: string,
  ) {
    super(`line ${lineNumber}: ${reason}`);
  }
}

export class TraceReader {
  readonly line: TraceLine = { op: 'get', key: '', keySize: 0, valueSize: 0, ttl: 0, time: -1 };
  lineNumber = 0;

  constructor(private readonly format: TraceFormat = 'auto') {}

  /**
   * Parse the next line into `this.line`: true for a request, false for a
   * line to skip (blank, comment, header). Throws TraceParseError.
   */
  parse(text: string): boolean {
    this.lineNumber++;
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return false;
    const f = trimmed.split(',');
    let format = this.format;
    if (format === 'auto') format = f.length === 7 ? 'twitter' : 'simple';
    if (format === 'twitter') return this.twitter(f);
    if (this.lineNumber === 1 && f[0] === 'op') return false;
    return this.simple(f);
  }

  private fail(reason: string): never {
    throw new TraceParseError(this.lineNumber, reason);
  }

  private opOf(field: string | undefined): TraceOp {
    const op = OPS[(field ?? '').trim().toLowerCase()];
    if (op === undefined) this.fail(`unknown operation '${(field ?? '').slice(0, 20)}'`);
    return op;
  }

  private twitter(f: string[]): boolean {
    if (f.length !== 7) this.fail(`expected 7 fields (timestamp,key,key size,value size,client id,operation,TTL), got ${f.length}`);
    const time = count(f[0]);
    const keySize = count(f[2], 250);
    const valueSize = count(f[3]);
    const ttl = count(f[6]);
    if (Number.isNaN(time)) this.fail('timestamp is not a non-negative integer');
    if (f[1]!.length === 0) this.fail('empty key');
    if (Number.isNaN(keySize) || keySize === 0) this.fail('key size is not an integer from 1 to 250');
    if (Number.isNaN(valueSize)) this.fail('value size is not a non-negative integer');
    if (Number.isNaN(ttl)) this.fail('TTL is not a non-negative integer');
    const line = this.line;
    line.op = this.opOf(f[5]);
    line.key = f[1]!;
    line.keySize = keySize;
    line.valueSize = valueSize;
    line.ttl = ttl;
    line.time = time;
    return true;
  }

  private simple(f: string[]): boolean {
    if (f.length < 2 || f.length > 5) this.fail(`expected op,key[,value size[,ttl[,timestamp]]], got ${f.length} fields`);
    const line = this.line;
    line.op = this.opOf(f[0]);
    const key = f[1]!.trim();
    if (key.length === 0 || key.length > 250) this.fail('key must be 1 to 250 characters');
    line.key = key;
    line.keySize = Buffer.byteLength(key);
    if (line.keySize > 250) this.fail('key is longer than 250 bytes');
    line.valueSize = f.length > 2 ? count(f[2]) : 0;
    line.ttl = f.length > 3 ? count(f[3]) : 0;
    line.time = f.length > 4 ? count(f[4]) : -1;
    if (Number.isNaN(line.valueSize)) this.fail('value size is not a non-negative integer');
    if (Number.isNaN(line.ttl)) this.fail('TTL is not a non-negative integer');
    if (Number.isNaN(line.time)) this.fail('timestamp is not a non-negative integer');
    return true;
  }
}
