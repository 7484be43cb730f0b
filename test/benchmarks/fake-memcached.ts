// A small in-process memcached stand-in for testing the benchmark clients:
// text get/gets/set/add/cas/delete/version/stats on a loopback port the
// test gets from the kernel. Knobs make it misbehave on purpose (evict
// early, lose writes, corrupt values) so the checks can be seen to catch it.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

interface Item {
  flags: number;
  data: Buffer;
  cas: number;
}

export interface FakeOptions {
  /** Most items held; the oldest written goes first (FIFO). */
  capacity?: number;
  /** Reply STORED to every n-th set but keep the old value (a lost write). */
  loseEveryNthSet?: number;
  /** Flip a byte of every n-th value returned. */
  corruptEveryNthGet?: number;
}

export class FakeMemcached {
  readonly items = new Map<string, Item>();
  private server: Server | undefined;
  private nextCas = 1;
  private sets = 0;
  private gets = 0;
  evictions = 0;

  constructor(private readonly options: FakeOptions = {}) {}

  async listen(): Promise<number> {
    this.server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server!.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.emit('close-all');
    });
  }

  private serve(socket: Socket): void {
    let pending: Buffer = Buffer.alloc(0);
    this.server!.once('close-all', () => socket.destroy());
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const out: string[] = [];
      const outBufs: Buffer[] = [];
      const emit = (s: string | Buffer): void => {
        if (out.length > 0) outBufs.push(Buffer.from(out.splice(0).join(''), 'latin1'));
        outBufs.push(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
      };
      let pos = 0;
      for (;;) {
        const nl = pending.indexOf(10, pos);
        if (nl < 0) break;
        const line = pending.toString('latin1', pos, nl - 1);
        const [cmd, ...args] = line.split(' ');
        if (cmd === 'set' || cmd === 'add' || cmd === 'cas') {
          const bytes = Number(args[3]);
          if (pending.length < nl + 1 + bytes + 2) break;
          const data = Buffer.from(pending.subarray(nl + 1, nl + 1 + bytes));
          pos = nl + 1 + bytes + 2;
          emit(this.store(cmd, args[0]!, Number(args[1]), data, Number(args[4])) + '\r\n');
          continue;
        }
        pos = nl + 1;
        if (cmd === 'get' || cmd === 'gets') {
          for (const key of args) {
            const item = this.items.get(key);
            if (!item) continue;
            this.gets++;
            let data = item.data;
            if (this.options.corruptEveryNthGet && this.gets % this.options.corruptEveryNthGet === 0 && data.length > 0) {
              data = Buffer.from(data);
              data[0] = data[0] === 65 ? 66 : 65;
            }
            emit(`VALUE ${key} ${item.flags} ${data.length}${cmd === 'gets' ? ' ' + item.cas : ''}\r\n`);
            emit(data);
            emit('\r\n');
          }
          emit('END\r\n');
        } else if (cmd === 'delete') {
          emit(this.items.delete(args[0]!) ? 'DELETED\r\n' : 'NOT_FOUND\r\n');
        } else if (cmd === 'version') {
          emit('VERSION fake\r\n');
        } else if (cmd === 'stats') {
          emit(`STAT curr_items ${this.items.size}\r\nSTAT evictions ${this.evictions}\r\nSTAT bytes 0\r\nSTAT limit_maxbytes 1048576\r\nEND\r\n`);
        } else {
          emit('ERROR\r\n');
        }
      }
      pending = pending.subarray(pos);
      if (outBufs.length > 0) socket.write(Buffer.concat(outBufs));
    });
  }

  private store(mode: string, key: string, flags: number, data: Buffer, cas: number): string {
    const old = this.items.get(key);
    if (mode === 'add' && old) return 'NOT_STORED';
    if (mode === 'cas') {
      if (!old) return 'NOT_FOUND';
      if (old.cas !== cas) return 'EXISTS';
    }
    this.sets++;
    if (this.options.loseEveryNthSet && old && this.sets % this.options.loseEveryNthSet === 0) return 'STORED';
    this.items.delete(key);
    this.items.set(key, { flags, data, cas: this.nextCas++ });
    const cap = this.options.capacity ?? Infinity;
    while (this.items.size > cap) {
      this.items.delete(this.items.keys().next().value!);
      this.evictions++;
    }
    return 'STORED';
  }
}
