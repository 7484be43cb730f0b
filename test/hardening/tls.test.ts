// -Z: TLS with memcached's options, against certificates generated here
// with openssl (a self-signed server certificate, a CA, a client
// certificate it signed and a rogue one it did not), with Node's tls client
// and with `openssl s_client`.

import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import net from 'node:net';
import { startTestServer } from '../integration/helpers/server.js';
import type { Settings } from '../../lib/cli/settings.js';
import { TlsConfigError } from '../../lib/server/tls.js';
import { startServer } from '../../lib/server/server.js';
import { DEFAULT_SETTINGS } from '../../lib/cli/settings.js';
import { runBin } from './helpers/bin.js';

const dir = mkdtempSync(join(tmpdir(), 'gac-tls-'));
const path = (name: string): string => join(dir, name);
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}
openssl('req', '-x509', ...EC, '-subj', '/CN=localhost', '-keyout', 'k.pem', '-out', 'c.pem');
openssl('req', '-x509', ...EC, '-subj', '/CN=grow-a-cache test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
openssl('req', ...EC, '-subj', '/CN=client', '-keyout', 'client.key', '-out', 'client.csr');
openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'client.pem');
openssl('req', '-x509', ...EC, '-subj', '/CN=rogue', '-keyout', 'rogue.key', '-out', 'rogue.pem');

const serverCa = readFileSync(path('c.pem'));
const goodClient = { cert: readFileSync(path('client.pem')), key: readFileSync(path('client.key')) };
const rogueClient = { cert: readFileSync(path('rogue.pem')), key: readFileSync(path('rogue.key')) };

function tlsSettings(verifyMode: number, extra: Partial<Settings> = {}): Partial<Settings> {
  return {
    tlsEnabled: true,
    tlsChainCert: path('c.pem'),
    tlsKey: path('k.pem'),
    tlsVerifyMode: verifyMode,
    ...(verifyMode > 0 ? { tlsCaCert: path('ca.pem') } : {}),
    ...extra,
  };
}

interface TlsResult {
  reply: string;
  closed: boolean;
}

/** Send `request` over TLS and read until `until` is seen or the connection ends. */
function tlsExchange(port: number, request: string, until: string, client: { cert?: Buffer; key?: Buffer } = {}): Promise<TlsResult> {
  return new Promise((resolve) => {
    let reply = '';
    let settled = false;
    const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: serverCa, ...client });
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ reply, closed });
    };
    socket.on('secureConnect', () => socket.write(request));
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.endsWith(until)) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

t.test('a TLS client talks to the server as to memcached', async (t) => {
  const { server, port } = await startTestServer(t, tlsSettings(0));
  const r = await tlsExchange(port, 'set a 0 0 5\r\nhello\r\nget a\r\nstats settings\r\nmn\r\n', 'MN\r\n');
  t.match(r.reply, /^STORED\r\nVALUE a 0 5\r\nhello\r\nEND\r\n/);
  t.match(r.reply, /STAT ssl_enabled yes\r\n/);
  t.equal(server.context.counters.totalConnections, 1);
  const big = 'x'.repeat(500_000);
  const large = await tlsExchange(port, `set big 0 0 ${big.length}\r\n${big}\r\nget big\r\n`, 'END\r\n');
  t.equal(large.reply, `STORED\r\nVALUE big 0 ${big.length}\r\n${big}\r\nEND\r\n`, 'a large value crosses many TLS records intact');
});

t.test('openssl s_client: one exchange', async (t) => {
  const { port } = await startTestServer(t, tlsSettings(0));
  const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', '-CAfile', path('c.pem'), '-verify_return_error'], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  // quit: the server closes, and s_client (-quiet ignores stdin's end) exits.
  child.stdin.write('set s 0 0 3\r\nabc\r\nget s\r\nversion\r\nquit\r\n');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 0, 's_client verified the certificate and exited cleanly');
  t.match(out, /^STORED\r\nVALUE s 0 3\r\nabc\r\nEND\r\nVERSION \S+\r\n$/);
});

t.test('plain text on the TLS port gets no reply', async (t) => {
  const { port } = await startTestServer(t, tlsSettings(0));
  const socket = net.connect(port, '127.0.0.1');
  let got = '';
  socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
  socket.on('error', () => {});
  socket.write('version\r\n');
  await new Promise((resolve) => socket.on('close', resolve));
  t.notMatch(got, /VERSION/, 'not answered in the clear');
});

t.test('ssl_verify_mode=2 requires a client certificate from ssl_ca_cert', async (t) => {
  const { port } = await startTestServer(t, tlsSettings(2));
  const good = await tlsExchange(port, 'version\r\n', '\r\n', goodClient);
  t.match(good.reply, /^VERSION /, 'a certificate signed by the CA is accepted');
  const none = await tlsExchange(port, 'version\r\n', '\r\n');
  t.ok(none.closed, 'no certificate: refused');
  t.equal(none.reply, '');
  const rogue = await tlsExchange(port, 'version\r\n', '\r\n', rogueClient);
  t.ok(rogue.closed, 'a certificate from another issuer: refused');
  t.equal(rogue.reply, '');
});

t.test('ssl_verify_mode=1 asks for a certificate but does not require one', async (t) => {
  const { port } = await startTestServer(t, tlsSettings(1));
  t.match((await tlsExchange(port, 'version\r\n', '\r\n')).reply, /^VERSION /, 'no certificate: fine');
  t.match((await tlsExchange(port, 'version\r\n', '\r\n', goodClient)).reply, /^VERSION /, 'a good certificate: fine');
  const rogue = await tlsExchange(port, 'version\r\n', '\r\n', rogueClient);
  t.ok(rogue.closed, 'a certificate that does not verify: refused');
  t.equal(rogue.reply, '');
});

t.test('-c and idle_timeout apply to TLS connections too', async (t) => {
  const { server, port } = await startTestServer(t, tlsSettings(0, { maxConns: 1, idleTimeout: 1 }));
  const first = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: serverCa });
  first.on('error', () => {});
  await new Promise((resolve) => first.once('secureConnect', resolve));
  const firstClosed = new Promise((resolve) => first.once('close', resolve));
  // Wait until the server has the first one before trying a second.
  while (server.context.counters.currConnections < 1) await new Promise((r) => setImmediate(r));
  const second = await tlsExchange(port, 'version\r\n', 'connections\r\n');
  t.equal(second.reply, 'ERROR Too many open connections\r\n', 'over -c: told over TLS');
  await firstClosed;
  t.equal(server.context.counters.idleKicks, 1, 'the idle TLS connection was kicked');
});

t.test('bad TLS settings stop the server at start-up', async (t) => {
  const base = { ...DEFAULT_SETTINGS, port: 0, listen: ['127.0.0.1'], tlsEnabled: true };
  await t.rejects(startServer({ ...base, tlsChainCert: path('missing.pem'), tlsKey: path('k.pem') }), TlsConfigError);
  await t.rejects(startServer({ ...base, tlsChainCert: path('c.pem'), tlsKey: path('rogue.key') }), TlsConfigError, 'key does not match');

  const noCert = runBin(['-Z']);
  t.equal(noCert.status, 64, '-Z without a certificate exits 64 (EX_USAGE)');
  t.match(noCert.stderr, /certificate chain/);
  const missing = runBin(['-p', '0', '-Z', '-o', `ssl_chain_cert=${path('missing.pem')},ssl_key=${path('k.pem')}`]);
  t.equal(missing.status, 64);
  t.match(missing.stderr, /^Error loading the certificate chain: .*missing\.pem/);
  const unix = runBin(['-Z', '-s', path('mc.sock'), '-o', `ssl_chain_cert=${path('c.pem')}`]);
  t.equal(unix.status, 64);
  t.match(unix.stderr, /You cannot enable SSL without a TCP port/);
});
