// The SASL PLAIN verifier and its password file (MEMCACHED_SASL_PWDB format).

import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SaslPasswordFileError,
  createSaslVerifier,
  parsePasswordFile,
  splitPlainMessage,
} from '../../lib/auth/sasl.js';

const plain = (authzid: string, user: string, password: string) => Buffer.from(`${authzid}\0${user}\0${password}`, 'utf8');

t.test('verifies users from a password file', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'pwdb');
  writeFileSync(file, 'alice:s3cret\r\nbob:pw:extra tokens\n\ncarol:\n# not a user\nalice:second-line-ignored\nno-colon-line\n');
  const v = createSaslVerifier(file);
  t.equal(v.mechanisms, 'PLAIN');
  t.equal(v.verifyPlain(plain('', 'alice', 's3cret')), 'alice', 'CRLF line ending stripped');
  t.equal(v.verifyPlain(plain('alice', 'alice', 's3cret')), 'alice', 'authzid equal to the user');
  t.equal(v.verifyPlain(plain('', 'bob', 'pw')), 'bob', 'password ends at the next colon');
  t.equal(v.verifyPlain(plain('', 'carol', '')), 'carol', 'empty password as memcached allows');
  t.equal(v.verifyPlain(plain('', 'alice', 'second-line-ignored')), undefined, 'first line for a user wins');
  t.equal(v.verifyPlain(plain('', 'alice', 's3cre')), undefined, 'prefix of the password');
  t.equal(v.verifyPlain(plain('', 'alice', 's3cret!')), undefined, 'longer password');
  t.equal(v.verifyPlain(plain('', 'alice', 'S3CRET')), undefined, 'case matters');
  t.equal(v.verifyPlain(plain('', 'mallory', 's3cret')), undefined, 'unknown user');
  t.equal(v.verifyPlain(plain('bob', 'alice', 's3cret')), undefined, 'authzid of another user');
  t.equal(v.verifyPlain(plain('', '', '')), undefined, 'empty user');
  t.equal(v.verifyPlain(Buffer.from('alice:s3cret')), undefined, 'not a PLAIN message');
  t.equal(v.verifyPlain(Buffer.from('\0alice\0s3cret\0')), undefined, 'too many parts');
  t.equal(v.verifyPlain(Buffer.alloc(0)), undefined, 'empty message');
});

t.test('utf-8 passwords compare by bytes', async (t) => {
  const dir = t.testdir({ pwdb: 'zoë:pässwörd\n' });
  const v = createSaslVerifier(join(dir, 'pwdb'));
  t.equal(v.verifyPlain(plain('', 'zoë', 'pässwörd')), 'zoë');
  t.equal(v.verifyPlain(plain('', 'zoë', 'passwort')), undefined);
});

t.test('an unreadable file throws a clear error naming the file', async (t) => {
  const missing = join(t.testdir(), 'nope');
  t.throws(() => createSaslVerifier(missing), SaslPasswordFileError);
  try {
    createSaslVerifier(missing);
  } catch (err) {
    t.match((err as Error).message, /cannot read SASL password file .*nope/);
    t.equal((err as SaslPasswordFileError).code, 'MC_ERR_SASL_PWDB');
  }
  t.throws(() => createSaslVerifier(t.testdir()), SaslPasswordFileError, 'a directory');
});

t.test('password digests, not passwords, are kept', async (t) => {
  const users = parsePasswordFile('alice:s3cret\n');
  const d = users.get('alice');
  t.equal(d?.length, 32);
  t.notOk(d?.includes(Buffer.from('s3cret')));
});

t.test('splitPlainMessage', async (t) => {
  t.same(splitPlainMessage(plain('z', 'u', 'p')), { authzid: 'z', user: 'u', password: Buffer.from('p') });
  t.equal(splitPlainMessage(Buffer.from('\0only-one')), undefined);
});
