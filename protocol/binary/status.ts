// Response status codes of memcached's binary protocol and the short texts
// memcached 1.6 puts in the body of an error reply (proto_bin.c
// write_bin_error). Clients such as memjs ignore the text, but tools that
// print it (and byte-for-byte tests) see exactly these strings.

export const STATUS_SUCCESS = 0x00;
export const STATUS_KEY_ENOENT = 0x01;
export const STATUS_KEY_EEXISTS = 0x02;
export const STATUS_E2BIG = 0x03;
export const STATUS_EINVAL = 0x04;
export const STATUS_NOT_STORED = 0x05;
export const STATUS_DELTA_BADVAL = 0x06;
export const STATUS_AUTH_ERROR = 0x20;
export const STATUS_AUTH_CONTINUE = 0x21;
export const STATUS_UNKNOWN_COMMAND = 0x81;
export const STATUS_ENOMEM = 0x82;
/** memcached's PROTOCOL_BINARY_RESPONSE_EINTERNAL: the server failed, not the request. */
export const STATUS_EINTERNAL = 0x84;

/** Status codes that have an error text (every error memcached writes). */
export type ErrorStatus =
  | typeof STATUS_KEY_ENOENT
  | typeof STATUS_KEY_EEXISTS
  | typeof STATUS_E2BIG
  | typeof STATUS_EINVAL
  | typeof STATUS_NOT_STORED
  | typeof STATUS_DELTA_BADVAL
  | typeof STATUS_AUTH_ERROR
  | typeof STATUS_UNKNOWN_COMMAND
  | typeof STATUS_ENOMEM;

const TEXTS: ReadonlyMap<number, Buffer> = new Map([
  [STATUS_KEY_ENOENT, 'Not found'],
  [STATUS_KEY_EEXISTS, 'Data exists for key.'],
  [STATUS_E2BIG, 'Too large.'],
  [STATUS_EINVAL, 'Invalid arguments'],
  [STATUS_NOT_STORED, 'Not stored.'],
  [STATUS_DELTA_BADVAL, 'Non-numeric server-side value for incr or decr'],
  [STATUS_AUTH_ERROR, 'Auth failure.'],
  [STATUS_UNKNOWN_COMMAND, 'Unknown command'],
  [STATUS_ENOMEM, 'Out of memory'],
].map(([code, text]) => [code as number, Buffer.from(text as string, 'latin1')]));

/** The body memcached sends with an error status (shared, never mutate). */
export function statusText(status: ErrorStatus): Buffer {
  return TEXTS.get(status) as Buffer;
}

/** Body of a successful SASL authentication. */
export const AUTHENTICATED_TEXT = Buffer.from('Authenticated', 'latin1');
