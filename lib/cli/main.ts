#!/usr/bin/env node
// The `grow-a-cache` command: memcached's command line, then the server.
// SIGTERM/SIGINT/SIGUSR1 (and an accepted `shutdown [graceful]`) close it
// gracefully: stop accepting, answer what was already read, save the cache
// with -e, exit 0; a second signal exits at once (without saving). SIGHUP is
// ignored, as memcached does.

import { parseCommandLine } from './cli-options.js';
import type { RunningServer } from '../server/server.js';
import { reexecWithHugePages } from './huge-pages.js';
import { PORT_FILE_VARIABLE, writePortFile } from '../server/port-file.js';

/** memcached's exit code when it cannot listen (EX_OSERR). */
const EX_OSERR = 71;
/** memcached's exit code for unusable settings, e.g. TLS files (EX_USAGE). */
const EX_USAGE = 64;
/** Give up on a graceful close after this long. */
const SHUTDOWN_DEADLINE_MS = 5000;

async function main(): Promise<void> {
  // `grow-a-cache advise TRACE ...`: the offline sizing advisor, not a server.
  if (process.argv[2] === 'advise') {
    // Loaded only for this: a server start does not pay for it.
    const { runAdvise } = await import('./advise.js');
    process.exitCode = await runAdvise(process.argv.slice(3));
    return;
  }
  const parsed = parseCommandLine(process.argv.slice(2), process.env);
  if (parsed.kind === 'exit') {
    if (parsed.stdout) process.stdout.write(parsed.stdout);
    if (parsed.stderr) process.stderr.write(parsed.stderr);
    process.exitCode = parsed.code;
    return;
  }
  const { settings } = parsed;
  // -e: a restore fills a fresh heap; huge pages make that several times faster (huge-pages.ts).
  if (settings.memoryFile !== undefined) reexecWithHugePages();
  // The server's modules load only past that point, so a re-executed start loads them once.
  const [{ startServer }, { SaslPasswordFileError }, { AsciiAuthFileError }, { TlsConfigError }] = await Promise.all([
    import('../server/server.js'),
    import('../auth/sasl.js'),
    import('../auth/ascii-auth.js'),
    import('../server/tls.js'),
  ]);
  for (const warning of parsed.warnings) process.stderr.write(`WARNING: ${warning}\n`);

  let server: RunningServer;
  let stopping = false;
  const stop = (): void => {
    if (stopping) {
      process.exit(0);
    }
    stopping = true;
    const deadline = setTimeout(() => {
      // -e: connections that would not drain must not cost the cache.
      server.saveImage();
      process.exit(0);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };

  try {
    // memcached's port file, once every port is bound (not with -s, as memcached).
    const portFile = process.env[PORT_FILE_VARIABLE];
    server = await startServer(settings, {
      ...(portFile !== undefined && settings.unixSocket === undefined
        ? {
            onListening: (bound) => {
              const failed = writePortFile(portFile, bound);
              if (failed !== undefined) process.stderr.write(`${failed}\n`);
            },
          }
        : {}),
      onShutdown: (graceful) => {
        if (graceful) {
          // memcached prints this whatever the verbosity.
          process.stderr.write('Gracefully stopping\n');
          stop();
          return;
        }
        // Plain `shutdown` is memcached's SIGINT: the process ends now,
        // without answering what other clients have sent; with -e the
        // store is still saved first (issue 12 lists it among the saving stops).
        if (settings.verbosity > 0) process.stderr.write('Exiting normally\n');
        server.saveImage();
        process.exit(0);
      },
    });
  } catch (err) {
    if (err instanceof SaslPasswordFileError || err instanceof AsciiAuthFileError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    if (err instanceof TlsConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = EX_USAGE;
      return;
    }
    const where = settings.unixSocket ?? settings.listen.join(',');
    const reason = err instanceof Error ? err.message : String(err);
    process.stderr.write(`failed to listen on one of interface(s) ${where}: ${reason}\n`);
    process.exitCode = EX_OSERR;
    return;
  }
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // memcached stops gracefully on SIGUSR1 (`shutdown graceful` raises it)
  // and survives SIGHUP, which would otherwise end a Node process.
  process.on('SIGUSR1', stop);
  process.on('SIGHUP', () => {
    if (settings.verbosity > 0) process.stderr.write('SIGHUP: ignored\n');
  });
  if (settings.verbosity > 0) {
    const where = settings.unixSocket ?? (server.address === '' ? 'no TCP port (-p 0)' : `${server.address}:${server.port}`);
    process.stderr.write(`grow-a-cache listening on ${where}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
