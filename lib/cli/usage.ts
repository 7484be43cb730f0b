// The `-h` text: memcached's flags in memcached's layout, with what each one
// does here. Flags accepted only for compatibility say so.

import { PRODUCT_VERSION, SERVER_VERSION } from './version.js';

export function usageText(): string {
  return `memcached ${SERVER_VERSION} (${PRODUCT_VERSION}: a memcached-compatible server on a segment store)
-p, --port=<num>          TCP port (default: 11211; -1 picks a free port, 0 is off)
-U, --udp-port=<num>      UDP port number to listen on (default: 0, off; -1 picks a free port)
-s, --unix-socket=<file>  listen on a unix socket instead of TCP
-a, --unix-mask=<mask>    unix socket permissions, octal (default: 700)
-A, --enable-shutdown     allow the "shutdown" command
-l, --listen=<addr>       address(es) to listen on, comma separated or repeated,
                          optionally <addr>:<port> (default: 127.0.0.1);
                          with -Z, notls:<addr>:<port> is a plain TCP listener
-d, --daemon              accepted; stays in the foreground
-r, --enable-coredumps    accepted, no effect
-u, --user=<user>         accepted, no effect
-m, --memory-limit=<num>  segment heap in megabytes (default: 64)
-M, --disable-evictions   answer out of memory instead of evicting
-c, --conn-limit=<num>    max simultaneous connections (default: 1024)
-k, --lock-memory         accepted, no effect
-v, --verbose             print errors and warnings
-vv                       also print each command and reply
-vvv                      also print internal detail
-h, --help                print this help and exit
-i, --license             print the licence and exit
-V, --version             print the version and exit
-P, --pidfile=<file>      accepted, no effect (no daemon mode)
-f, --slab-growth-factor=<num>  accepted, no effect (no slab classes)
-n, --slab-min-size=<bytes>     accepted, no effect (no slab classes)
-L, --enable-largepages   accepted, no effect
-D <char>                 accepted, no effect (no per-prefix stats)
-t, --threads=<num>       reported in stats; requests run on one event loop (default: 4)
-R, --max-reqs-per-event=<num>  requests per connection before yielding (default: 20)
-C, --disable-cas         disable CAS
-b, --listen-backlog=<num> listen backlog (default: 1024)
-B, --protocol=<name>     ascii, binary or auto (default: auto)
-I, --max-item-size=<num> largest item, k/m suffix allowed (default: 1m, min: 1k, max: 1024m)
-S, --enable-sasl         require SASL PLAIN over the binary protocol
-F, --disable-flush-all   refuse flush_all
-X, --disable-dumping     disable stats cachedump and lru_crawler metadump
-W, --disable-watch       disable watch commands (live logging)
-Y, --auth-file=<file>    require ASCII authentication (user:password lines)
-e, --memory-file=<file>  warm restart: save the cache to <file> on a graceful
                          stop, restore it from there at start
-Z, --enable-ssl          TLS on the TCP port(s); needs -o ssl_chain_cert
-N, --napi-ids=<num>      accepted, no effect
-o, --extended            comma separated options:
   - maxconns_fast        answer and close connections over -c (always on)
   - hashpower=<num>      initial hash table size, power of two (12-32)
   - idle_timeout=<secs>  close connections idle this long (default: 0, never)
   - memory_file=<file>   same as -e <file>
   - warm_restart_sync    make the -e image durable (fdatasync) before exit;
                          without it a power cut right after a stop may cost
                          the warm start (the image is checksummed)
   - merge_segments=<n>   segments per merge-eviction pass, 2-8 (default: 3);
                          2 halves eviction pauses for a few more misses
   - advisor              sizing advisor: hit ratio at 1/4x..4x of -m from live
                          traffic (stats advisor, /metrics)
   - advisor_rate=<r>     share of keys it samples (default: 0.01); implies advisor
   - hash_algorithm=...   accepted (jenkins, murmur3, xxh3); our own hash is used
   - ssl_chain_cert=<file> certificate chain in PEM format (-Z)
   - ssl_key=<file>       private key in PEM, if not part of ssl_chain_cert
   - ssl_ca_cert=<file>   PEM file of acceptable client CAs
   - ssl_verify_mode=<n>  client certificates: 0 none (default), 1 request,
                          2 require, 3 once
   - memcached's slab, LRU and extstore options are accepted and ignored
--sasl-pwdb=<file>        SASL password file, user:password per line
                          (default: $MEMCACHED_SASL_PWDB)
--metrics-listen=<host:port>  serve Prometheus metrics at /metrics (default: off)
`;
}
