// Ready-made reply lines of memcached's text and meta protocols, CRLF
// included, byte for byte as memcached 1.6.18 writes them.
//
// Encoders and the server write these shared Buffers directly (never mutate
// them). Replies that carry data (`VALUE ...`, `VA ...`, `STAT ...`) are
// built by the encoders; the prefixes they start with are here too.

function line(text: string): Buffer {
  return Buffer.from(text + '\r\n', 'latin1');
}

/** Complete reply lines. */
export const REPLY = Object.freeze({
  /**
   * No bytes: an error memcached does not answer (the command had `noreply`)
   * or a silent close (2048-byte line rule, `HTTP/` request line).
   */
  NONE: Buffer.alloc(0),

  // Storage and retrieval outcomes (text protocol).
  STORED: line('STORED'),
  NOT_STORED: line('NOT_STORED'),
  EXISTS: line('EXISTS'),
  NOT_FOUND: line('NOT_FOUND'),
  DELETED: line('DELETED'),
  TOUCHED: line('TOUCHED'),
  END: line('END'),
  OK: line('OK'),
  RESET: line('RESET'),

  // Unknown command, wrong argument count, `GET` in upper case, bare `get`.
  ERROR: line('ERROR'),

  // Client errors (text).
  CLIENT_ERROR_BAD_FORMAT: line('CLIENT_ERROR bad command line format'),
  CLIENT_ERROR_BAD_DATA_CHUNK: line('CLIENT_ERROR bad data chunk'),
  CLIENT_ERROR_NON_NUMERIC: line('CLIENT_ERROR cannot increment or decrement non-numeric value'),
  CLIENT_ERROR_INVALID_DELTA: line('CLIENT_ERROR invalid numeric delta argument'),
  CLIENT_ERROR_INVALID_EXPTIME: line('CLIENT_ERROR invalid exptime argument'),
  /** flush_all on a server started with -F. */
  CLIENT_ERROR_FLUSH_NOT_ALLOWED: line('CLIENT_ERROR flush_all not allowed'),
  /** `delete <key> <nonzero>`: memcached's wording, two spaces included. */
  CLIENT_ERROR_DELETE_USAGE: line('CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]'),
  /** `shutdown <anything but graceful>` on a server started with -A. */
  CLIENT_ERROR_INVALID_SHUTDOWN_MODE: line('CLIENT_ERROR invalid shutdown mode'),
  /** `stats cachedump` with too few arguments. */
  CLIENT_ERROR_BAD_COMMAND_LINE: line('CLIENT_ERROR bad command line'),
  /** `stats detail` without on|off|dump. */
  CLIENT_ERROR_STATS_DETAIL_USAGE: line('CLIENT_ERROR usage: stats detail on|off|dump'),
  /** `stats cachedump` (never allowed here: no slab classes to dump). */
  CLIENT_ERROR_CACHEDUMP_NOT_ALLOWED: line('CLIENT_ERROR stats cachedump not allowed'),

  // Client errors (meta).
  /** A flag byte >= 127, or a flag letter given twice (mg, ms). */
  CLIENT_ERROR_DUPLICATE_FLAG: line('CLIENT_ERROR duplicate flag'),
  /** A flag letter memcached does not know (mg, ms). */
  CLIENT_ERROR_INVALID_FLAG: line('CLIENT_ERROR invalid flag'),
  /** Any flag error on md and ma. */
  CLIENT_ERROR_INVALID_OR_DUPLICATE_FLAG: line('CLIENT_ERROR invalid or duplicate flag'),
  /** N, T, R or C with a token that is not a number. */
  CLIENT_ERROR_BAD_TOKEN: line('CLIENT_ERROR bad token in command line format'),
  /** The `b` flag with a key that is not valid base64. */
  CLIENT_ERROR_DECODING_KEY: line('CLIENT_ERROR error decoding key'),
  /** M with no mode character or more than one. */
  CLIENT_ERROR_M_TOKEN_LENGTH: line('CLIENT_ERROR incorrect length for M token'),
  CLIENT_ERROR_INVALID_MS_MODE: line('CLIENT_ERROR invalid mode for ms M token'),
  CLIENT_ERROR_INVALID_MA_MODE: line('CLIENT_ERROR invalid mode for ma M token'),
  /** ma J with a token that is not an unsigned 64-bit number. */
  CLIENT_ERROR_INVALID_INITIAL: line('CLIENT_ERROR invalid numeric initial value'),
  /** ma D with a token that is not an unsigned 64-bit number. */
  CLIENT_ERROR_INVALID_DELTA_VALUE: line('CLIENT_ERROR invalid numeric delta value'),
  /** O token longer than 32 bytes (the O included). */
  CLIENT_ERROR_OPAQUE_TOO_LONG: line('CLIENT_ERROR opaque token too long'),
  /** mg with more than 17 flags (memcached's wording differs per command). */
  CLIENT_ERROR_MG_TOO_MANY_FLAGS: line('CLIENT_ERROR options flags are too long'),
  /** ms, md, ma with more than 17 flags. */
  CLIENT_ERROR_TOO_MANY_FLAGS: line('CLIENT_ERROR options flags too long'),

  // Server errors.
  SERVER_ERROR_TOO_LARGE: line('SERVER_ERROR object too large for cache'),
  SERVER_ERROR_OUT_OF_MEMORY: line('SERVER_ERROR out of memory storing object'),
  /** incr/decr (text and ma) could not allocate the grown value. */
  SERVER_ERROR_OUT_OF_MEMORY_ARITH: line('SERVER_ERROR out of memory'),
  /** ma with N could not allocate the new item. */
  SERVER_ERROR_OUT_OF_MEMORY_VIVIFY: line('SERVER_ERROR Out of memory allocating new item'),
  /** A get line longer than this server buffers (memcached grows without bound). */
  SERVER_ERROR_OUT_OF_MEMORY_READING: line('SERVER_ERROR out of memory reading request'),

  // Admin.
  ERROR_SHUTDOWN_NOT_ENABLED: line('ERROR: shutdown not enabled'),
  ERROR_TOO_MANY_CONNECTIONS: line('ERROR Too many open connections'),
  /** cache_memlimit below 8 MB. */
  MEMLIMIT_TOO_SMALL: line('MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m'),
  /** cache_memlimit above 1000000000 (MB): the client probably sent bytes. */
  MEMLIMIT_NOT_BYTES: line('MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes'),
  MEMLIMIT_ADJUST_FAILED: line('MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust'),

  // Meta protocol status codes.
  /** Success without value ("header only"). */
  META_HD: line('HD'),
  /** mg miss. */
  META_EN: line('EN'),
  /** md/ma/ms-with-mode: not found. */
  META_NF: line('NF'),
  /** ms: not stored. */
  META_NS: line('NS'),
  /** ms/md/ma: cas mismatch. */
  META_EX: line('EX'),
  /** mn: end of a pipelined batch. */
  META_MN: line('MN'),
});

/** Prefixes of reply lines that carry data; the encoder appends the rest. */
export const REPLY_PREFIX = Object.freeze({
  /** `VERSION 1.6.18\r\n` */
  VERSION: Buffer.from('VERSION ', 'latin1'),
  /** `VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\n` */
  VALUE: Buffer.from('VALUE ', 'latin1'),
  /** `STAT <name> <value>\r\n` */
  STAT: Buffer.from('STAT ', 'latin1'),
  /** Meta hit with value: `VA <size> <flags>*\r\n<data>\r\n`. */
  META_VA: Buffer.from('VA ', 'latin1'),
  /** Meta success without value, with return flags: `HD <flags>*\r\n`. */
  META_HD: Buffer.from('HD', 'latin1'),
  /** Meta debug: `ME <key> <k>=<v>*\r\n`. */
  META_ME: Buffer.from('ME ', 'latin1'),
  CLIENT_ERROR: Buffer.from('CLIENT_ERROR ', 'latin1'),
  SERVER_ERROR: Buffer.from('SERVER_ERROR ', 'latin1'),
});

/** CRLF, for encoders that assemble lines piecewise. */
export const CRLF = Buffer.from('\r\n', 'latin1');
