"""pymemcache (Debian's python3-pymemcache) as an application uses it.

Usage: pymemcache_client.py SERVER [SERVER ...]
SERVER is host:port or a unix socket path. With one server it drives
pymemcache's Client and PooledClient; with several, HashClient (its
consistent hashing) over all of them. Prints one `label: value` line per
step; values that differ between two correct servers (CAS tokens, stats
figures, the version string) are printed as what a client may rely on.
"""

import sys
import threading

from pymemcache import serde
from pymemcache.client.base import Client, PooledClient
from pymemcache.client.hash import HashClient
from pymemcache.exceptions import MemcacheClientError, MemcacheIllegalInputError


def address(spec):
    if spec.startswith('/'):
        return spec
    host, port = spec.rsplit(':', 1)
    return (host, int(port))


def say(label, value):
    print(f'{label}: {value!r}', flush=True)


def single(server):
    c = Client(address(server), connect_timeout=5, timeout=5, serde=serde.pickle_serde, default_noreply=False)
    say('flush_all', c.flush_all(noreply=False))
    say('set', c.set('k1', b'hello'))
    say('get', c.get('k1'))
    say('get miss', c.get('missing'))
    say('get default', c.get('missing', default=b'fallback'))
    say('set noreply', c.set('quiet', b'shh', noreply=True))
    say('get after noreply', c.get('quiet'))
    say('set str', c.set('text', 'héllo wörld'))
    say('get str', c.get('text'))
    say('set int', c.set('int', 42))
    say('get int', c.get('int'))
    say('set dict', c.set('obj', {'a': [1, 2, 3], 'b': None}))
    say('get dict', c.get('obj'))
    binary = bytes(range(256)) * 4 + b'\r\nEND\r\n'
    say('set binary', c.set('bin', binary))
    say('get binary intact', c.get('bin') == binary)
    big = b'x' * (512 * 1024)
    say('set 512 KiB', c.set('big', big))
    say('get 512 KiB intact', c.get('big') == big)
    say('set_many', c.set_many({'m1': b'one', 'm2': b'two', 'm3': b'three'}))
    say('get_many', sorted(c.get_many(['m1', 'm2', 'm3', 'm4']).items()))
    say('add existing', c.add('k1', b'nope', noreply=False))
    say('add new', c.add('k2', b'new', noreply=False))
    say('replace existing', c.replace('k2', b'replaced', noreply=False))
    say('replace missing', c.replace('k3', b'x', noreply=False))
    say('append', c.append('k2', b'-end', noreply=False))
    say('prepend', c.prepend('k2', b'start-', noreply=False))
    say('get appended', c.get('k2'))
    say('append missing', c.append('k3', b'x', noreply=False))
    value, token = c.gets('k1')
    say('gets value', value)
    say('gets token is a positive int', isinstance(token, bytes) and token.isdigit() and int(token) > 0)
    say('cas current', c.cas('k1', b'swapped', token, noreply=False))
    say('cas stale', c.cas('k1', b'again', token, noreply=False))
    say('cas missing', c.cas('nokey', b'v', token, noreply=False))
    say('get after cas', c.get('k1'))
    many = c.gets_many(['k1', 'k2', 'missing'])
    say('gets_many keys', sorted(many))
    say('gets_many tokens differ', many['k1'][1] != many['k2'][1])
    say('set counter', c.set('n', b'10'))
    say('incr', c.incr('n', 5, noreply=False))
    say('decr', c.decr('n', 3, noreply=False))
    say('decr below zero', c.decr('n', 100, noreply=False))
    say('incr missing', c.incr('nocounter', 1, noreply=False))
    say('incr wraps at 2^64', (c.set('w', b'18446744073709551615'), c.incr('w', 2, noreply=False))[1])
    try:
        c.incr('k1', 1, noreply=False)
        say('incr non-numeric', 'no error')
    except Exception as err:  # pymemcache raises MemcacheClientError with the server's text
        say('incr non-numeric', f'{type(err).__name__}: {err}')
    say('touch existing', c.touch('k1', 100, noreply=False))
    say('touch missing', c.touch('missing', 100, noreply=False))
    say('delete', c.delete('k1', noreply=False))
    say('delete missing', c.delete('k1', noreply=False))
    say('delete_many', c.delete_many(['m1', 'm2']))
    say('get deleted', c.get_many(['m1', 'm2', 'm3']))
    say('set expired (negative ttl)', c.set('gone', b'v', expire=-1))
    say('get expired', c.get('gone'))
    try:
        c.set('bad key', b'v')
        say('key with space', 'no error')
    except MemcacheIllegalInputError as err:
        say('key with space', type(err).__name__)
    try:
        c.set('k' * 251, b'v')
        say('key of 251 bytes', 'no error')
    except MemcacheClientError as err:
        say('key of 251 bytes', type(err).__name__)
    try:
        c.set('huge', b'y' * (2 * 1024 * 1024))
        say('value over 1 MiB', 'stored')
    except Exception as err:
        say('value over 1 MiB', type(err).__name__)
    say('value over 1 MiB is not there', c.get('huge'))
    stats = c.stats()
    for name in (b'curr_items', b'total_items', b'cmd_get', b'get_hits', b'get_misses', b'limit_maxbytes', b'threads', b'uptime'):
        say(f'stats has {name.decode()}', name in stats)
    say('stats limit_maxbytes', stats[b'limit_maxbytes'])
    say('stats settings has maxconns', b'maxconns' in c.stats('settings'))
    say('version looks like one', c.version().count(b'.') >= 2)
    say('flush_all again', c.flush_all(noreply=False))
    say('get after flush', c.get_many(['k2', 'm3', 'n']))
    c.close()


def pooled(server):
    # Several threads share one PooledClient: each takes its own connection.
    pool = PooledClient(address(server), max_pool_size=8, connect_timeout=5, timeout=5, default_noreply=False)
    pool.set('pool-counter', b'0')
    errors = []

    def work(n):
        try:
            for i in range(100):
                pool.set(f'pool-{n}-{i}', f'{n}:{i}'.encode())
                pool.incr('pool-counter', 1)
        except Exception as err:  # surfaced below as a line
            errors.append(repr(err))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    say('pool errors', errors)
    say('pool counter', pool.get('pool-counter'))
    got = pool.get_many([f'pool-{n}-{i}' for n in range(8) for i in range(100)])
    say('pool values', len(got) == 800 and all(v == k[5:].replace('-', ':').encode() for k, v in got.items()))
    pool.close()


def hashed(servers):
    # Consistent hashing over several servers, as pymemcache's HashClient does it.
    hc = HashClient([address(s) for s in servers], connect_timeout=5, timeout=5, use_pooling=True, default_noreply=False)
    keys = [f'ring-{i}' for i in range(300)]
    say('ring set_many failed keys', hc.set_many({k: k.encode() for k in keys}))
    got = hc.get_many(keys)
    say('ring get_many', len(got) == 300 and all(got[k] == k.encode() for k in keys))
    for i, s in enumerate(servers):
        c = Client(address(s), connect_timeout=5, timeout=5)
        held = sum(1 for k in keys if c.get(k) is not None)
        c.close()
        say(f'ring server {i} holds some', held > 0)
    say('ring delete', hc.delete('ring-7', noreply=False))
    say('ring get deleted', hc.get('ring-7'))
    say('ring incr', (hc.set('ring-n', b'1'), hc.incr('ring-n', 41))[1])


if __name__ == '__main__':
    targets = sys.argv[1:]
    if len(targets) == 1:
        single(targets[0])
        pooled(targets[0])
    else:
        hashed(targets)
