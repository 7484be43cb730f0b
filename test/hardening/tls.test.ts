// -Z: TLS with memcached's options, against certificates generated here
// with openssl (a self-signed server certificate, a CA, a client
// certificate it signed and a rogue one it did not), with Node's tls client
// and with `openssl s_client`.

import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { exchange } from '../integration/helpers/exchange.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import net from 'node:net';
import { startTestServer } from '../integration/helpers/server.js';
import type { Settings } from '../../lib/cli/settings.js';
import { TlsConfigError } from '../../lib/server/tls.js';
import { startServer } from '../../lib/server/server.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT } from '../../lib/cli/settings.js';
import { runBin, serveBin } from './helpers/bin.js';

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
  t.match(r.reply, /STAT ssl_verify_mode 0\r\nSTAT ssl_keyformat 1\r\n/);
  t.match(r.reply, /STAT ssl_session_cache no\r\nSTAT ssl_kernel_tls no\r\nSTAT ssl_min_version tlsv1\.2\r\n/);
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
  const base = { ...DEFAULT_SETTINGS, port: EPHEMERAL_PORT, listen: ['127.0.0.1'], tlsEnabled: true };
  await t.rejects(startServer({ ...base, tlsChainCert: path('missing.pem'), tlsKey: path('k.pem') }), TlsConfigError);
  await t.rejects(startServer({ ...base, tlsChainCert: path('c.pem'), tlsKey: path('rogue.key') }), TlsConfigError, 'key does not match');

  const noCert = runBin(['-Z']);
  t.equal(noCert.status, 64, '-Z without a certificate exits 64 (EX_USAGE)');
  t.match(noCert.stderr, /certificate chain/);
  const missing = runBin(['-p', '-1', '-Z', '-o', `ssl_chain_cert=${path('missing.pem')},ssl_key=${path('k.pem')}`]);
  t.equal(missing.status, 64);
  t.match(missing.stderr, /^Error loading the certificate chain: .*missing\.pem/);
  const unix = runBin(['-Z', '-s', path('mc.sock'), '-o', `ssl_chain_cert=${path('c.pem')}`]);
  t.equal(unix.status, 64);
  t.match(unix.stderr, /You cannot enable SSL without a TCP port/);
  const notls = runBin(['-l', 'notls:127.0.0.1:11311']);
  t.equal(notls.status, 71, 'notls: without -Z exits 71, as memcached');
  t.equal(notls.stderr, "'notls' option is valid only when SSL is enabled\n");
});

t.test('refresh_certs reloads the certificate and key from their files', async (t) => {
  const certFile = path('refresh-c.pem');
  const keyFile = path('refresh-k.pem');
  copyFileSync(path('c.pem'), certFile);
  copyFileSync(path('k.pem'), keyFile);
  const { port } = await startTestServer(t, tlsSettings(0, { tlsChainCert: certFile, tlsKey: keyFile }));
  const subjectOf = (): Promise<string> =>
    new Promise((resolve) => {
      const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
        resolve(String(socket.getPeerCertificate().subject.CN));
        socket.end();
      });
      socket.on('error', () => {});
    });
  t.equal(await subjectOf(), 'localhost');
  // Swap in the rogue pair and ask for a reload.
  copyFileSync(path('rogue.pem'), certFile);
  copyFileSync(path('rogue.key'), keyFile);
  t.equal((await tlsExchange(port, 'refresh_certs\r\n', '\r\n')).reply, 'OK\r\n');
  t.equal(await subjectOf(), 'rogue', 'new connections get the new certificate');
  // A broken file is refused with memcached's kind of error, and the old context stays.
  writeFileSync(keyFile, 'not a key');
  const broken = await new Promise<string>((resolve) => {
    const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => socket.write('refresh_certs\r\n'));
    socket.on('error', () => {});
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.endsWith('\r\n')) {
        socket.destroy();
        resolve(got);
      }
    });
  });
  t.match(broken, /^Error [^\r\n]+\r\n$/);
  t.equal(await subjectOf(), 'rogue');
});

t.test('without TLS refresh_certs answers memcached\'s error, even with noreply', async (t) => {
  const { port } = await startTestServer(t);
  const r = await exchange(port, 'refresh_certs\r\nrefresh_certs noreply\r\n');
  t.equal(r.reply.toString(), 'Error TLS not enabled\r\nError TLS not enabled\r\n');
});

t.test('ssl_min_version and ssl_ciphers are applied', async (t) => {
  const { port } = await startTestServer(t, tlsSettings(0, { tlsMinVersion: 'TLSv1.3' }));
  const tls12 = await new Promise<boolean>((resolve) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca: serverCa, servername: 'localhost', maxVersion: 'TLSv1.2' }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
  t.equal(tls12, false, 'a TLS 1.2 client is refused under ssl_min_version=3');
  const settings = await tlsExchange(port, 'stats settings\r\n', 'END\r\n');
  t.match(settings.reply, /STAT ssl_min_version tlsv1\.3\r\n/);

  const only = await startTestServer(t, tlsSettings(0, { tlsMinVersion: 'TLSv1.2', tlsCiphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }));
  const cipher = await new Promise<string>((resolve) => {
    const socket = tls.connect({ port: only.port, host: '127.0.0.1', ca: serverCa, servername: 'localhost', maxVersion: 'TLSv1.2' }, () => {
      resolve(socket.getCipher().standardName);
      socket.end();
    });
    socket.on('error', () => resolve('refused'));
  });
  t.equal(cipher, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'the one cipher allowed is used');
});

/** A loopback port free now (for a second -l listener). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

t.test('-t 4: sessions resume on any worker, notls: listener, ssl_handshake_errors, time_since_server_cert_refresh', async (t) => {
  const plainPort = await freePort();
  const chain = `ssl_chain_cert=${path('c.pem')},ssl_key=${path('k.pem')},ssl_session_cache`;
  const server = await serveBin(['-t', '4', '-Z', '-o', chain, '-l', `notls:127.0.0.1:${plainPort}`]);
  t.teardown(() => server.kill());

  // One TLS 1.2 session, then reconnections offering it: the four workers
  // take connections in turn, so these land on workers that did not issue it.
  const connect = (session?: Buffer): Promise<{ reused: boolean; session: Buffer | undefined }> =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({ port: server.port, host: '127.0.0.1', ca: serverCa, servername: 'localhost', maxVersion: 'TLSv1.2', ...(session ? { session } : {}) });
      socket.on('secureConnect', () => {
        const reused = socket.isSessionReused();
        const got = socket.getSession();
        socket.end();
        resolve({ reused, session: got });
      });
      socket.on('error', reject);
    });
  const first = await connect();
  t.equal(first.reused, false, 'the first connection makes a session');
  const again: boolean[] = [];
  for (let i = 0; i < 6; i++) again.push((await connect(first.session)).reused);
  t.same(again, [true, true, true, true, true, true], 'each reconnection resumes it, whichever worker takes it');

  const plain = await exchange(plainPort, 'set p 0 0 1\r\nx\r\nget p\r\n');
  t.equal(plain.reply.toString(), 'STORED\r\nVALUE p 0 1\r\nx\r\nEND\r\n', 'the notls: listener speaks plain TCP');

  // Plain text on the TLS port: a failed handshake.
  await exchange(server.port, 'version\r\n');
  const before = await tlsExchange(server.port, 'stats\r\n', 'END\r\n');
  t.match(before.reply, /STAT ssl_handshake_errors 1\r\n/);
  const since = (reply: string): number => Number(/STAT time_since_server_cert_refresh (\d+)\r\n/.exec(reply)?.[1] ?? NaN);
  await new Promise((r) => setTimeout(r, 1100));
  const later = since((await tlsExchange(server.port, 'stats\r\n', 'END\r\n')).reply);
  t.ok(later >= 1, `seconds since the certificate was read: ${later}`);
  const refreshed = await tlsExchange(server.port, 'refresh_certs\r\nstats\r\n', 'END\r\n');
  t.match(refreshed.reply, /^OK\r\n/);
  t.ok(since(refreshed.reply) < later, 'refresh_certs starts the count again');
  t.notMatch(refreshed.reply, /ssl_new_sessions/);
});
