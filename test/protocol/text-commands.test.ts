// Every text command of memcached 1.6 through parseTextRequest: the
// request fields or the exact error bytes memcached 1.6.18 answers, with
// the input fed whole, byte by byte and at random split points.

import { runCaseTable, TEXT_CASES } from './parse-cases.js';

runCaseTable(TEXT_CASES);
