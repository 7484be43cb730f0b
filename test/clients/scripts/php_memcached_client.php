<?php
// php-memcached (the libmemcached-based Memcached class) as an application
// uses it. It prints a transcript, one `label: value` line per step, for a
// test to compare between our server and the real memcached.
// It is not a benchmark and not a protocol test: it sees only what the PHP
// API shows. Values that differ between two correct servers (CAS tokens,
// stats figures, the version string) are printed as what a client may rely on.
//
// Usage: php php_memcached_client.php [--binary] SERVER [SERVER ...]
//        php php_memcached_client.php --sasl USER PASS SERVER
// SERVER is host:port or a unix socket path (starts with /).
// One SERVER: the single-server steps (text protocol, or binary with
// --binary, plus the binary-only steps). Several: consistent hashing
// (ketama) over all of them. --sasl: binary protocol with SASL PLAIN.

declare(strict_types=1);

error_reporting(E_ALL);
// A warning or notice from PHP or the extension ends the run (exit 255) instead of passing unseen.
set_error_handler(function (int $level, string $message, string $file, int $line): bool {
    throw new ErrorException($message, 0, $level, $file, $line);
});

/** One transcript line; the value as JSON, so it stays on one line. */
function say(string $label, mixed $value): void
{
    $json = json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
    echo $label, ': ', $json === false ? 'unprintable ' . gettype($value) : $json, "\n";
    flush();
}

/** The last result as `CODE NAME` (e.g. `16 RES_NOTFOUND`) and libmemcached's message for it. */
function sayResult(string $label, Memcached $m): void
{
    say("$label result", resultName($m->getResultCode()));
    say("$label message", $m->getResultMessage());
}

function resultName(int $code): string
{
    static $names = null;
    if ($names === null) {
        $names = [];
        foreach ((new ReflectionClass(Memcached::class))->getConstants() as $name => $value) {
            if (str_starts_with($name, 'RES_') && !isset($names[$value])) $names[$value] = $name;
        }
    }
    return $code . ' ' . ($names[$code] ?? 'unknown');
}

/** A Memcached instance on the given servers; $options on top of the defaults the script relies on. */
function connect(array $servers, array $options = []): Memcached
{
    $m = new Memcached();
    $m->setOptions([Memcached::OPT_CONNECT_TIMEOUT => 5000, Memcached::OPT_POLL_TIMEOUT => 5000] + $options);
    foreach ($servers as $server) {
        if (str_starts_with($server, '/')) {
            $m->addServer($server, 0);
        } else {
            $at = strrpos($server, ':');
            $m->addServer(substr($server, 0, $at), (int) substr($server, $at + 1));
        }
    }
    return $m;
}

/** $n bytes that do not compress (sha512 chained from a fixed seed): the same on every run. */
function incompressible(int $n): string
{
    $out = '';
    $block = 'seed';
    while (strlen($out) < $n) {
        $block = hash('sha512', $block, true);
        $out .= $block;
    }
    return substr($out, 0, $n);
}

class Point
{
    public function __construct(public int $x = 0, public int $y = 0)
    {
    }
}

function basics(Memcached $m): void
{
    say('flush', $m->flush());
    say('set', $m->set('k1', 'hello'));
    sayResult('set', $m);
    say('get', $m->get('k1'));
    sayResult('get', $m);
    say('get miss', $m->get('missing'));
    sayResult('get miss', $m);
    say('setMulti', $m->setMulti(['m1' => 'one', 'm2' => 'two', 'm3' => 'three']));
    say('getMulti', $m->getMulti(['m3', 'm1', 'nope', 'm2']));
    sayResult('getMulti', $m);
    say('getMulti preserve order', $m->getMulti(['m3', 'm1', 'nope', 'm2'], Memcached::GET_PRESERVE_ORDER));
    say('getMulti all missing', $m->getMulti(['nope1', 'nope2']));
    sayResult('getMulti all missing', $m);
    say('getDelayed', $m->getDelayed(['m1', 'nope', 'm2']));
    // Binary mode adds each item's cas and flags; the tokens differ between servers.
    $fetched = $m->fetchAll();
    say('fetchAll', array_map(fn ($e) => [$e['key'], $e['value']], $fetched));
    say('fetchAll cas tokens are positive ints if present', array_map(fn ($e) => !isset($e['cas']) || (is_int($e['cas']) && $e['cas'] > 0), $fetched));
    say('setByKey', $m->setByKey('group', 'byk', 'by-key'));
    say('getByKey', $m->getByKey('group', 'byk'));
}

function storage(Memcached $m): void
{
    say('add existing', $m->add('k1', 'nope'));
    sayResult('add existing', $m);
    say('add new', $m->add('k2', 'new'));
    say('replace existing', $m->replace('k2', 'replaced'));
    say('replace missing', $m->replace('k3', 'x'));
    sayResult('replace missing', $m);
    // php-memcached refuses append/prepend while compression is on.
    $m->setOption(Memcached::OPT_COMPRESSION, false);
    say('append', $m->append('k2', '-end'));
    say('prepend', $m->prepend('k2', 'start-'));
    say('get appended', $m->get('k2'));
    say('append missing', $m->append('k3', 'x'));
    sayResult('append missing', $m);
    say('prepend missing', $m->prepend('k3', 'x'));
    sayResult('prepend missing', $m);
    $m->setOption(Memcached::OPT_COMPRESSION, true);
}

function cas(Memcached $m): void
{
    $got = $m->get('k1', null, Memcached::GET_EXTENDED);
    say('get extended keys', array_keys($got));
    say('get extended value', $got['value']);
    say('get extended flags', $got['flags']);
    say('cas token is a positive int', is_int($got['cas']) && $got['cas'] > 0);
    say('cas current', $m->cas($got['cas'], 'k1', 'swapped'));
    sayResult('cas current', $m);
    say('cas stale', $m->cas($got['cas'], 'k1', 'again'));
    sayResult('cas stale', $m);
    say('cas missing', $m->cas($got['cas'], 'nokey', 'v'));
    sayResult('cas missing', $m);
    say('get after cas', $m->get('k1'));
    $many = $m->getMulti(['k1', 'k2', 'missing'], Memcached::GET_EXTENDED);
    say('getMulti extended keys', array_keys($many));
    say('getMulti extended tokens differ', $many['k1']['cas'] !== $many['k2']['cas']);
    say('getMulti extended values', array_map(fn ($e) => $e['value'], $many));
}

function counters(Memcached $m): void
{
    say('set counter', $m->set('n', '10'));
    say('increment', $m->increment('n', 5));
    say('decrement', $m->decrement('n', 3));
    say('get counter', $m->get('n'));
    say('decrement below zero', $m->decrement('n', 100));
    say('increment missing', $m->increment('nocounter', 1));
    sayResult('increment missing', $m);
    say('decrement missing', $m->decrement('nocounter', 1));
    sayResult('decrement missing', $m);
    say('increment non-numeric', $m->increment('k1', 1));
    sayResult('increment non-numeric', $m);
    say('set 2^64-1', $m->set('w', '18446744073709551615'));
    say('increment wraps at 2^64', $m->increment('w', 2));
    say('set int counter', $m->set('ni', 7));
    say('increment int', $m->increment('ni', 3));
    say('get int counter', $m->get('ni'));
}

function expiry(Memcached $m): void
{
    say('touch existing', $m->touch('k1', 100));
    sayResult('touch existing', $m);
    say('touch missing', $m->touch('missing', 100));
    sayResult('touch missing', $m);
    say('get touched', $m->get('k1'));
    // php-memcached sends -1 as it is. The text protocol reads it as already
    // expired; the binary one carries the expiry as an unsigned 32-bit number,
    // so there -1 is 2^32-1: an absolute time far in the future.
    say('set negative ttl', $m->set('gone', 'v', -1));
    say('get negative ttl', $m->get('gone'));
    sayResult('get negative ttl', $m);
    say('set ttl 0', $m->set('forever', 'v', 0));
    say('get ttl 0', $m->get('forever'));
}

function deletion(Memcached $m): void
{
    say('delete', $m->delete('k1'));
    sayResult('delete', $m);
    say('delete missing', $m->delete('k1'));
    sayResult('delete missing', $m);
    say('deleteMulti', $m->deleteMulti(['m1', 'm2', 'nope']));
    say('getMulti deleted', $m->getMulti(['m1', 'm2', 'm3']));
}

/** Each PHP type round-trips through the flags php-memcached stores with it. */
function types(Memcached $m): void
{
    $values = [
        'string' => 'héllo wörld',
        'empty string' => '',
        'int' => 42,
        'negative int' => -7,
        'float' => 3.25,
        'true' => true,
        'false' => false,
        'null' => null,
        'array' => ['a' => [1, 2, 3], 'b' => null],
        'list' => [1, 'two', 3.0],
        'object' => (object) ['name' => 'x', 'n' => 1],
    ];
    foreach ($values as $name => $value) {
        $key = 'type-' . str_replace(' ', '-', $name);
        say("set $name", $m->set($key, $value));
        $got = $m->get($key, null, Memcached::GET_EXTENDED);
        say("get $name", [gettype($got['value']), $got['value']]);
        say("get $name identical", $got['value'] === $value || (is_object($value) && $got['value'] == $value));
    }
    $point = new Point(3, 4);
    say('set class instance', $m->set('type-point', $point));
    $got = $m->get('type-point');
    say('get class instance', [get_class($got), $got->x, $got->y]);

    $m->setOption(Memcached::OPT_SERIALIZER, Memcached::SERIALIZER_IGBINARY);
    say('igbinary set', $m->set('type-igbinary', ['x' => [1, 2], 'y' => 'z']));
    $got = $m->get('type-igbinary', null, Memcached::GET_EXTENDED);
    say('igbinary get', $got['value']);
    $m->setOption(Memcached::OPT_SERIALIZER, Memcached::SERIALIZER_PHP);
    say('php serializer reads igbinary value', $m->get('type-igbinary'));

    // User flags ride in the upper 16 bits of the item's 32-bit flags, next to php-memcached's type bits.
    $m->setOption(Memcached::OPT_USER_FLAGS, 65535);
    say('set with user flags', $m->set('type-user-flags', [1, 2]));
    $m->setOption(Memcached::OPT_USER_FLAGS, 0);
    $got = $m->get('type-user-flags', null, Memcached::GET_EXTENDED);
    say('get user flags', $got['flags']);
    say('get user flags value', $got['value']);
}

/** The server's `bytes` stat: what its items take, headers included. */
function statsBytes(Memcached $m): int
{
    return (int) array_values($m->getStats())[0]['bytes'];
}

function sizes(Memcached $m): void
{
    // Over memcached.compression_threshold (2000): stored compressed, flagged so.
    $text = str_repeat('compress me please. ', 150);
    say('compressed value length', strlen($text));
    $before = statsBytes($m);
    say('set compressed', $m->set('z', $text));
    $stored = statsBytes($m) - $before;
    say('compressed item is stored smaller than the value', $stored > 0 && $stored < strlen($text));
    say('get compressed intact', $m->get('z') === $text);

    $m->setOption(Memcached::OPT_COMPRESSION, false);
    $bytes = str_repeat(implode('', array_map('chr', range(0, 255))), 4) . "\r\nEND\r\n";
    say('set binary-safe', $m->set('bin', $bytes));
    say('get binary-safe intact', $m->get('bin') === $bytes);
    $big = incompressible(512 * 1024);
    say('set 512 KiB', $m->set('big', $big));
    say('get 512 KiB intact', $m->get('big') === $big);
    $huge = incompressible(2 * 1024 * 1024);
    say('set over 1 MiB', $m->set('huge', $huge));
    sayResult('set over 1 MiB', $m);
    say('get over 1 MiB', $m->get('huge'));
    sayResult('get over 1 MiB', $m);
    say('connection still usable', $m->get('z') === $text);
    $m->setOption(Memcached::OPT_COMPRESSION, true);
}

function keys(Memcached $m): void
{
    say('set key of 250 bytes', $m->set(str_repeat('k', 250), 'v'));
    say('get key of 250 bytes', $m->get(str_repeat('k', 250)));
    say('set key of 251 bytes', $m->set(str_repeat('k', 251), 'v'));
    sayResult('set key of 251 bytes', $m);
    say('get key of 251 bytes', $m->get(str_repeat('k', 251)));
    sayResult('get key of 251 bytes', $m);
    say('set empty key', $m->set('', 'v'));
    sayResult('set empty key', $m);
    // The text protocol cannot carry a space in a key; the binary one can.
    say('set key with space', $m->set('bad key', 'v'));
    sayResult('set key with space', $m);
    say('get key with space', $m->get('bad key'));
    sayResult('get key with space', $m);
    say('delete key with space', $m->delete('bad key'));
}

/**
 * OPT_NOREPLY: stores go out without waiting for an answer. Read back on the
 * same connection (a second one may be served before the first is read), and
 * no quiet command that fails: its error still comes back, and which later
 * call picks it up depends on timing.
 */
function noreply(array $servers, array $options): void
{
    $q = connect($servers, [Memcached::OPT_NOREPLY => true] + $options);
    say('noreply set', $q->set('quiet', 'shh'));
    say('noreply set doomed', $q->set('quiet-doomed', 'x'));
    say('noreply delete', $q->delete('quiet-doomed'));
    say('get after noreply', $q->getMulti(['quiet', 'quiet-doomed']));
    $q->quit();
}

function serverInfo(Memcached $m): void
{
    $all = $m->getStats();
    say('getStats servers', count($all));
    $stats = array_values($all)[0];
    foreach (['pid', 'uptime', 'time', 'version', 'curr_items', 'total_items', 'curr_connections', 'cmd_get', 'cmd_set', 'get_hits', 'get_misses', 'bytes', 'limit_maxbytes', 'threads'] as $name) {
        say("stats has $name", array_key_exists($name, $stats));
    }
    say('stats limit_maxbytes', $stats['limit_maxbytes'] ?? null);
    say('stats threads', $stats['threads'] ?? null);
    $settings = $m->getStats('settings');
    say('stats settings has maxconns', is_array($settings) && array_key_exists('maxconns', array_values($settings)[0]));
    $version = array_values($m->getVersion());
    say('getVersion servers', count($version));
    say('version looks like a version', preg_match('/^\d+\.\d+\.\d+/', $version[0]) === 1);
    // getAllKeys walks `stats cachedump`. memcached lists only its COLD LRU, so which
    // keys show depends on its LRU maintainer's timing; what holds on both servers
    // is that the answer is a list of distinct keys that are there.
    $keys = $m->getAllKeys();
    say('getAllKeys returns', gettype($keys));
    sayResult('getAllKeys', $m);
    if (is_array($keys)) {
        say('getAllKeys keys are distinct', count(array_unique($keys)) === count($keys));
        say('getAllKeys keys are all there', count($keys) === 0 || count($m->getMulti($keys)) === count($keys));
    }
    say('getServerList', count($m->getServerList()));
}

function flushing(Memcached $m): void
{
    say('flush again', $m->flush());
    say('get after flush', $m->getMulti(['k2', 'm3', 'n', 'z']));
}

/**
 * A delayed flush_all right after an immediate one, sent in one buffered
 * write (OPT_NOREPLY, OPT_BUFFER_WRITES): an item set after the immediate
 * flush stays until the delay runs out. Not printed: the item the immediate
 * flush removed. memcached keeps one flush cutoff, so the delayed flush
 * replaces it and that item can read back again until its LRU crawler
 * reclaims it (timing: 1 run in 7 when each call waits for its reply);
 * ours keeps flushed items gone (README, "What differs").
 */
function delayedFlush(array $servers, array $options): void
{
    $q = connect($servers, [Memcached::OPT_NOREPLY => true, Memcached::OPT_BUFFER_WRITES => true] + $options);
    say('quiet set before immediate flush', $q->set('flushed-early', 'v'));
    say('quiet flush', $q->flush());
    say('quiet set after flush', $q->set('after-flush', 'v'));
    say('quiet flush delayed', $q->flush(100));
    $got = $q->getMulti(['after-flush'], Memcached::GET_PRESERVE_ORDER);
    say('get item set after the immediate flush', $got['after-flush']);
    $q->quit();
}

/** increment/decrement with an initial value (php-memcached 3's form of *WithInitial): binary protocol only. */
function binaryOnly(Memcached $m): void
{
    say('increment with initial missing', $m->increment('init', 5, 100));
    say('increment with initial existing', $m->increment('init', 5, 100));
    say('decrement with initial missing', $m->decrement('dinit', 5, 100));
    say('decrement with initial existing', $m->decrement('dinit', 5, 100));
    say('get initial counter', $m->get('init'));
    say('increment with initial and expiry', $m->increment('init-exp', 1, 9, 100));
    say('increment with initial and expiry again', $m->increment('init-exp', 1, 9, 100));
    say('incrementByKey with initial', $m->incrementByKey('group', 'init-bk', 2, 40));
    say('increment past 2^63 (a PHP int: wraps negative)', ($m->set('big-n', '9223372036854775807') ? $m->increment('big-n', 1) : 'set failed'));
    say('add existing binary', $m->add('init', 'x'));
    sayResult('add existing binary', $m);
}

function single(string $server, bool $binary): void
{
    $options = [Memcached::OPT_BINARY_PROTOCOL => $binary];
    $m = connect([$server], $options);
    say('binary protocol', (bool) $m->getOption(Memcached::OPT_BINARY_PROTOCOL));
    basics($m);
    storage($m);
    cas($m);
    counters($m);
    expiry($m);
    deletion($m);
    types($m);
    sizes($m);
    keys($m);
    noreply([$server], $options);
    if ($binary) binaryOnly($m);
    serverInfo($m);
    flushing($m);
    $m->quit();
    delayedFlush([$server], $options);
}

/** Consistent hashing: the keys spread over every server and all read back. */
function hashed(array $servers): void
{
    $m = connect($servers, [Memcached::OPT_LIBKETAMA_COMPATIBLE => true]);
    say('ring distribution is not modula', $m->getOption(Memcached::OPT_DISTRIBUTION) !== Memcached::DISTRIBUTION_MODULA);
    say('ring hash is md5', $m->getOption(Memcached::OPT_HASH) === Memcached::HASH_MD5);
    $items = [];
    for ($i = 0; $i < 300; $i++) $items["ring-$i"] = "value-$i";
    say('ring setMulti', $m->setMulti($items));
    $got = $m->getMulti(array_keys($items));
    say('ring getMulti count', count($got));
    say('ring getMulti values', $got == $items);
    foreach ($servers as $i => $server) {
        $one = connect([$server]);
        $held = $one->getMulti(array_keys($items));
        say("ring server $i holds some", is_array($held) && count($held) > 0);
        $one->quit();
    }
    say('ring delete', $m->delete('ring-7'));
    say('ring get deleted', $m->get('ring-7'));
    say('ring set counter', $m->set('ring-n', '1'));
    say('ring increment', $m->increment('ring-n', 41));
    $m->quit();
}

/**
 * SASL PLAIN over the binary protocol (setSaslAuthData requires it) and over
 * TCP: libmemcached does not authenticate on a unix socket.
 */
function sasl(string $server, string $user, string $password): void
{
    $m = connect([$server], [Memcached::OPT_BINARY_PROTOCOL => true]);
    say('sasl setSaslAuthData', $m->setSaslAuthData($user, $password));
    say('sasl set', $m->set('sasl-key', 'sasl-value'));
    sayResult('sasl set', $m);
    say('sasl get', $m->get('sasl-key'));
    sayResult('sasl get', $m);
    $m->quit();
}

function main(array $args): int
{
    $binary = false;
    if (($args[0] ?? '') === '--sasl') {
        if (count($args) !== 4) return usage();
        sasl($args[3], $args[1], $args[2]);
        return 0;
    }
    if (($args[0] ?? '') === '--binary') {
        $binary = true;
        array_shift($args);
    }
    if (count($args) === 0) return usage();
    if (count($args) === 1) {
        single($args[0], $binary);
    } else {
        hashed($args);
    }
    return 0;
}

function usage(): int
{
    fwrite(STDERR, "usage: php php_memcached_client.php [--binary] SERVER [SERVER...]\n       php php_memcached_client.php --sasl USER PASS SERVER\n");
    return 2;
}

exit(main(array_slice($argv, 1)));
