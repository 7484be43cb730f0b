// The meta commands (mg, ms, md, ma, me, mn) through parseTextRequest: the
// request fields (flags in request order, canonical numeric tokens) or the
// exact error bytes memcached 1.6.18 answers, fed whole, byte by byte and at
// random split points.

import { META_CASES, runCaseTable } from './parse-cases.js';

runCaseTable(META_CASES);
