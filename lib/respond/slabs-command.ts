// `slabs automove <0|1|2>`, `slabs automove ratio <x>` and
// `slabs reassign <src> <dst>`, answered as memcached 1.6.18's
// process_slabs_command does.
//
// The segment store has no slab classes and so no slab mover: these replies
// are memcached's parsing and its answers where they mean something here.
// `automove` is accepted (OK) and changes nothing, as `-o slab_automove` is
// accepted and ignored at start; `reassign` answers BADCLASS for every pair
// of ids, because there is no class to move a page from or to (`stats slabs`
// shows active_slabs 0). Not here: a slab mover.

import type { AdminRequest } from '../../protocol/request.js';
import type { ReplyWriter } from '../../protocol/reply-writer.js';
import { REPLY } from '../../protocol/text/replies.js';
import { parseInt32Token, parseUint32Token } from '../../protocol/text/numbers.js';

const BADCLASS = Buffer.from('BADCLASS invalid src or dst class id\r\n', 'latin1');

export function respondSlabs(req: AdminRequest, out: ReplyWriter): void {
  const { args } = req;
  // memcached counts a terminal token: its `ntokens == 5` is three words after `slabs`.
  if (args.length === 3 && args[0] === 'reassign') {
    const src = parseInt32Token(Buffer.from(args[1]!, 'latin1'), 0, args[1]!.length);
    const dst = parseInt32Token(Buffer.from(args[2]!, 'latin1'), 0, args[2]!.length);
    if (Number.isNaN(src) || Number.isNaN(dst)) return out.writeBuffer(REPLY.CLIENT_ERROR_BAD_FORMAT);
    return out.writeBuffer(BADCLASS);
  }
  if (args.length >= 2 && args[0] === 'automove') {
    // Only automove honours `noreply`, and for every reply, errors included.
    const reply = automoveReply(args);
    if (args[args.length - 1] !== 'noreply') out.writeBuffer(reply);
    return;
  }
  out.writeBuffer(REPLY.ERROR);
}

function automoveReply(args: string[]): Buffer {
  if (args[1] === 'ratio') {
    return args.length >= 3 && isStrtod(args[2]!) ? REPLY.OK : REPLY.ERROR;
  }
  const level = parseUint32Token(Buffer.from(args[1]!, 'latin1'), 0, args[1]!.length);
  if (Number.isNaN(level)) return REPLY.CLIENT_ERROR_BAD_FORMAT;
  return level <= 2 ? REPLY.OK : REPLY.ERROR;
}

/** memcached's safe_strtod: a whole decimal number strtod reads without ERANGE. */
function isStrtod(text: string): boolean {
  const m = /^[ \t\n\v\f\r]*[+-]?(?:(\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(inf(?:inity)?|nan))$/i.exec(text);
  if (m === null) return false;
  if (m[2] !== undefined) return true;
  const value = Number(text.trim());
  // Overflow and underflow are ERANGE to strtod.
  return Number.isFinite(value) && !(value === 0 && /[1-9]/.test(m[1]!));
}
