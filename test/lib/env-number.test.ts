// nonNegativeEnvNumber (lib/server/env-number.ts): the overrides the
// housekeeper's pace and the loops' yield budget read from the environment.

import t from 'tap';
import { nonNegativeEnvNumber } from '../../lib/server/env-number.js';

t.test('a non-negative finite number is read; anything else is no override', async (t) => {
  const read = (text: string | undefined): number | undefined => nonNegativeEnvNumber({ X: text }, 'X');
  t.equal(read('0'), 0, '0 is an override (it turns the feature off)');
  t.equal(read(' 2.5 '), 2.5, 'surrounding blanks are ignored');
  t.equal(read('300'), 300);
  t.equal(read(undefined), undefined, 'unset');
  t.equal(read('  '), undefined, 'blank');
  t.equal(read('-1'), undefined, 'negative');
  t.equal(read('fast'), undefined, 'not a number');
  t.equal(read('Infinity'), undefined, 'not finite');
  t.equal(nonNegativeEnvNumber({}, 'X'), undefined, 'absent from the environment');
});
