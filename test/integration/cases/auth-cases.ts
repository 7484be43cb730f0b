// -Y (ASCII authentication) exchanges, as memcached 1.6.18 answers them with
// the auth file AUTH_FILE_TEXT (oracle.test.ts replays them).

import type { ExchangeCase } from '../helpers/cases.js';

export const AUTH_FILE_TEXT = 'foo:bar\nbaaaz:quux\n';

/**
 * memcached 1.6.18 answers only the first line of a read before a
 * connection authenticates (the rest waits for more input), so the `mn`
 * sentinel cannot be pipelined there; those replies were checked against
 * it one line per write instead.
 */
const PIPELINE_QUIRK = 'memcached leaves pipelined lines unanswered before authentication';

/** Before authenticating, the `mn` sentinel is answered with this. */
const U = 'CLIENT_ERROR unauthenticated\r\n';

export const AUTH_CASES: ExchangeCase[] = [
  {
    name: 'nothing works before authenticating; errors do not close',
    oursOnly: PIPELINE_QUIRK,
    steps: [
      { send: 'get foo\r\n', expect: 'CLIENT_ERROR unauthenticated\r\n', sentinelReply: U },
      { send: 'set foo 0 0 2\r\nhi\r\n', expect: 'CLIENT_ERROR bad authentication token format\r\n', sentinelReply: U },
      { send: 'set foo 0 0 7\r\nfoo bab\r\n', expect: 'CLIENT_ERROR authentication failure\r\n', sentinelReply: U },
      { send: 'version\r\n', expect: 'CLIENT_ERROR unauthenticated\r\n', sentinelReply: U },
    ],
  },
  {
    name: 'a good user/password authenticates the connection',
    steps: [
      { send: 'set foo 0 0 7\r\nfoo bar\r\n', expect: 'STORED\r\n' },
      { send: 'set toast 0 0 2\r\nhi\r\n', expect: 'STORED\r\n' },
      { send: 'get toast\r\n', expect: 'VALUE toast 0 2\r\nhi\r\nEND\r\n' },
    ],
  },
  {
    name: 'each connection authenticates on its own, with any entry',
    oursOnly: PIPELINE_QUIRK,
    steps: [
      { send: 'get toast\r\n', expect: 'CLIENT_ERROR unauthenticated\r\n', sentinelReply: U },
      { send: 'set x 1 2 10\r\nbaaaz quux\r\n', expect: 'STORED\r\n' },
      { send: 'get toast\r\n', expect: 'VALUE toast 0 2\r\nhi\r\nEND\r\n' },
    ],
  },
  {
    name: 'a long line without newline closes',
    steps: [{ send: 'x'.repeat(3000), expect: '', closes: true }],
  },
];
