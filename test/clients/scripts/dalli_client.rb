# Dalli (Debian's ruby-dalli 3.0, binary protocol) as a Rails-style
# application drives it.
#
# Usage: dalli_client.rb [--sasl USER PASS] SERVER [SERVER ...]
# SERVER is host:port or a unix socket path (one starting with `/`).
# With one SERVER it walks Dalli::Client's commands on that server. With
# several it uses Dalli's consistent hashing ring over all of them. With
# --sasl it stores and reads one value as USER with PASS.
# Prints one `label: value` line per step, every label once. Values that
# differ between two correct servers (CAS tokens, stats figures, the
# version) are printed as what a client may rely on.
# It does not judge the answers: the test compares transcripts.

require 'dalli'
require 'logger'

$stdout.sync = true
# Dalli logs to stdout by default; the transcript must hold only our lines.
Dalli.logger = Logger.new($stderr, level: Logger::WARN)

SOCKET_OPTIONS = { socket_timeout: 5, socket_max_failures: 2, down_retry_delay: 1 }.freeze

def say(label, value)
  puts "#{label}: #{value.inspect}"
end

def client(servers, options = {})
  Dalli::Client.new(servers, SOCKET_OPTIONS.merge(options))
end

# A CAS token is the server's own number: a client may rely on its being a
# positive integer, not on its value.
def token(value)
  value.is_a?(Integer) && value.positive? ? 'a positive int' : value
end

# The block's result, or the exception it raised: its class, and the
# protocol status when Dalli's message carries one.
def outcome
  yield
rescue Dalli::DalliError, ArgumentError => e
  status = e.message[/\A(Response error \d+: [^.]*|Error authenticating: \S+)/]
  status ? "raised #{e.class} (#{status})" : "raised #{e.class}"
end

# A compressor that counts its calls, to show Dalli's compressed flag
# round-trips (Dalli decompresses only when the flag comes back set).
class CountingCompressor
  class << self
    attr_accessor :compressed, :decompressed

    def compress(data)
      self.compressed += 1
      Dalli::Compressor.compress(data)
    end

    def decompress(data)
      self.decompressed += 1
      Dalli::Compressor.decompress(data)
    end
  end
  self.compressed = 0
  self.decompressed = 0
end

def basics(dc)
  say 'flush', dc.flush
  say 'set', token(dc.set('k1', 'hello'))
  say 'get', dc.get('k1')
  say 'get miss', dc.get('missing')
  dc.set('m1', 'one')
  dc.set('m2', 'two')
  say 'get_multi', dc.get_multi('m1', 'm2', 'm3').sort
  say 'get_multi none', dc.get_multi([])
  calls = 0
  say 'fetch miss', dc.fetch('fetched', 300) { calls += 1; 'computed' }
  say 'fetch hit', dc.fetch('fetched', 300) { calls += 1; 'recomputed' }
  say 'fetch block calls', calls
  say 'fetch without block on miss', dc.fetch('not-fetched')
end

def storage(dc)
  say 'add existing', dc.add('k1', 'nope')
  say 'add new', token(dc.add('k2', 'new'))
  say 'replace existing', token(dc.replace('k2', 'replaced'))
  say 'replace missing', dc.replace('k3', 'x')
  say 'get replaced', dc.get('k2')
  say 'set raw', token(dc.set('raw', 'middle', 0, raw: true))
  say 'append', dc.append('raw', '-end')
  say 'prepend', dc.prepend('raw', 'start-')
  say 'get appended', dc.get('raw')
  say 'append missing', dc.append('nothing-here', 'x')
  say 'prepend missing', dc.prepend('nothing-here', 'x')
end

def cas_steps(dc)
  say 'cas block', token(dc.cas('k1') { |v| "#{v} world" })
  say 'get after cas block', dc.get('k1')
  say 'cas missing', dc.cas('no-such-key') { |_| 'never' }
  say 'cas! missing yields', dc.cas!('cas-bang') { |v| "was #{v.inspect}" }.then { |v| token(v) }
  say 'get after cas!', dc.get('cas-bang')
  value, cas = dc.get_cas('k1')
  say 'get_cas value', value
  say 'get_cas token', token(cas)
  say 'get_cas missing', dc.get_cas('no-such-key')
  say 'set_cas current', token(dc.set_cas('k1', 'swapped', cas))
  say 'set_cas stale', dc.set_cas('k1', 'again', cas)
  say 'replace_cas stale', dc.replace_cas('k1', 'again', cas)
  say 'set_cas missing key', dc.set_cas('no-such-key', 'v', cas)
  say 'get after stale cas', dc.get('k1')
  say 'get_multi_cas tokens', dc.get_multi_cas('k1', 'k2').transform_values { |(v, c)| [v, token(c)] }.sort
end

def counters(dc)
  say 'incr with initial creates', dc.incr('counter', 1, 300, 10)
  say 'incr existing', dc.incr('counter', 5, 300, 10)
  say 'decr existing', dc.decr('counter', 3)
  say 'get counter', dc.get('counter', raw: true)
  say 'decr below zero', dc.decr('counter', 100)
  say 'incr missing without initial', dc.incr('no-counter', 1)
  say 'decr missing without initial', dc.decr('no-counter', 1)
  say 'decr with initial creates', dc.decr('down-counter', 1, 0, 7)
  say 'incr with initial zero', dc.incr('zero-counter', 4, 0, 0)
  say 'incr by zero', dc.incr('zero-counter', 0)
  dc.set('wrap', '18446744073709551615', 0, raw: true)
  say 'incr wraps at 2^64', dc.incr('wrap', 2)
  dc.set('numeric-string', '41', 0, raw: true)
  say 'incr raw numeric string', dc.incr('numeric-string', 1)
  say 'incr non-numeric', outcome { dc.incr('k1', 1) }
  say 'incr negative amount', outcome { dc.incr('counter', -1) }
  say 'counter readable as string', dc.get('numeric-string', raw: true)
end

def threaded_counter(dc)
  dc.set('shared-counter', '0', 0, raw: true)
  threads = Array.new(8) { Thread.new { 50.times { dc.incr('shared-counter', 1) } } }
  threads.each(&:join)
  say 'threads share one client', dc.get('shared-counter', raw: true)
end

def expiry(server, dc)
  say 'touch existing', dc.touch('k1', 300)
  say 'touch missing', dc.touch('no-such-key', 300)
  say 'gat existing', dc.gat('k2', 300)
  say 'gat missing', dc.gat('no-such-key', 300)
  say 'set expires_in negative', token(dc.set('gone', 'v', -1))
  say 'get expired', dc.get('gone')
  say 'touch to negative', dc.touch('k2', -1)
  say 'get touched away', dc.get('k2')
  say 'add over expired', token(dc.add('gone', 'back'))
  expiring = client(server, expires_in: -1)
  say 'client expires_in negative set', token(expiring.set('client-gone', 'v'))
  say 'client expires_in negative get', dc.get('client-gone')
  expiring.close
end

def deletes(dc)
  say 'delete', dc.delete('k1')
  say 'delete missing', dc.delete('k1')
  say 'get deleted', dc.get('k1')
  dc.set('dc', 'v')
  _, cas = dc.get_cas('dc')
  say 'delete_cas present', dc.respond_to?(:delete_cas)
  say 'delete_cas stale', dc.delete_cas('dc', cas + 1)
  say 'get after delete_cas stale', dc.get('dc')
  say 'delete_cas current', dc.delete_cas('dc', cas)
  say 'get after delete_cas', dc.get('dc')
end

def multi_block(dc)
  dc.set('q-existing', 'old')
  dc.multi do
    dc.set('q1', 'one')
    dc.set('q2', 'two')
    dc.add('q-existing', 'not added')
    dc.replace('q-missing', 'not replaced')
    dc.delete('m1')
    dc.set('q3', { 'n' => 3 })
  end
  say 'multi quiet writes', dc.get_multi('q1', 'q2', 'q3', 'q-existing', 'q-missing', 'm1').sort
  say 'get after multi', dc.get('q1')
end

def objects(server, dc)
  {
    'hash' => { 'name' => 'Ada', 'tags' => %w[a b], 'nested' => { 1 => :sym } },
    'array' => [1, 'two', 3.0, nil, [4]],
    'integer' => 42,
    'big integer' => 2**80,
    'float' => 1.5,
    'nil' => nil,
    'true' => true,
    'symbol' => :ruby,
    'unicode string' => 'héllo wörld ✓'
  }.each do |name, value|
    say "set #{name}", token(dc.set("obj-#{name.tr(' ', '-')}", value))
    say "get #{name}", dc.get("obj-#{name.tr(' ', '-')}")
  end
  nils = client(server, cache_nils: true)
  calls = 0
  2.times { nils.fetch('cached-nil') { calls += 1; nil } }
  say 'fetch cache_nils block calls', calls
  nils.close
end

def raw_values(dc)
  say 'set raw string', token(dc.set('raw-s', 'plain text', 0, raw: true))
  say 'get raw string', dc.get('raw-s')
  dc.set('raw-int', 42, 0, raw: true)
  say 'get raw integer', dc.get('raw-int')
  bytes = ((0..255).to_a.pack('C*') * 4) + "\r\nEND\r\n\x00"
  say 'set binary', token(dc.set('bin', bytes, 0, raw: true))
  got = dc.get('bin')
  say 'get binary intact', got == bytes.b
  say 'get binary encoding', got.encoding.to_s
  say 'set binary serialized', token(dc.set('bin-obj', bytes))
  say 'get binary serialized intact', dc.get('bin-obj') == bytes
  say 'set empty', token(dc.set('empty', '', 0, raw: true))
  say 'get empty', dc.get('empty')
end

def compression(server)
  cc = client(server, compress: true, compressor: CountingCompressor)
  text = 'compressible text, ' * 500
  say 'compressible value bytes', text.bytesize
  say 'set compressed', token(cc.set('zipped', text))
  say 'compressed on store', CountingCompressor.compressed
  say 'get compressed intact', cc.get('zipped') == text
  say 'decompressed on read', CountingCompressor.decompressed
  say 'set small uncompressed', token(cc.set('small', 'tiny'))
  say 'small not compressed', CountingCompressor.compressed
  say 'append to compressed raw', cc.append('zipped', 'tail')
  say 'get after append to compressed', outcome { cc.get('zipped') == text }
  cc.close
end

def large_values(server, dc)
  big = Random.new(512).bytes(512 * 1024)
  say 'set 512 KiB', token(dc.set('big', big, 0, raw: true, compress: false))
  say 'get 512 KiB intact', dc.get('big') == big
  huge = Random.new(2).bytes(2 * 1024 * 1024)
  say 'value over 1 MiB (client limit)', outcome { dc.set('huge', huge, 0, raw: true, compress: false) }
  roomy = client(server, value_max_bytes: 4 * 1024 * 1024)
  roomy.set('huge', 'small before', 0, raw: true)
  say 'value over 1 MiB (server)', outcome { token(roomy.set('huge', huge, 0, raw: true, compress: false)) }
  say 'get after value over 1 MiB', roomy.get('huge')
  say 'connection still in step', roomy.get('big') == big
  # Dalli lets through any value up to 1 MiB; the server's limit counts
  # its item header, key and CAS as well.
  near = Random.new(3).bytes((1024 * 1024) - 40)
  say 'value 40 bytes under 1 MiB', outcome { token(dc.set('near-limit', near, 0, raw: true, compress: false)) }
  say 'append of 1 MiB', outcome { dc.append('raw', 'y' * 1024 * 1024) }
  say 'get after append of 1 MiB', dc.get('raw')
  compressible = 'z' * (3 * 1024 * 1024)
  say 'value over 1 MiB compressed', token(dc.set('huge-zipped', compressible))
  say 'get over 1 MiB compressed intact', dc.get('huge-zipped') == compressible
  roomy.close
end

def keys(server, dc)
  long = 'long-key-' + ('x' * 300)
  say 'set key over 250 bytes', token(dc.set(long, 'long value'))
  say 'get key over 250 bytes', dc.get(long)
  # get_multi answers under the hashed key Dalli sent, not the caller's.
  say 'get_multi key over 250 bytes values', dc.get_multi(long).values
  say 'set key with spaces', token(dc.set('key with spaces', 'spaced'))
  say 'get key with spaces', dc.get('key with spaces')
  say 'set unicode key', token(dc.set('ключ-ü-🔑', 'unicode'))
  say 'get unicode key', dc.get('ключ-ü-🔑')
  say 'get_multi unicode keys', dc.get_multi('ключ-ü-🔑', 'key with spaces').sort
  say 'blank key', outcome { dc.get('') }
  # Dalli counts characters, not bytes: 200 two-byte characters pass its
  # check and reach the server as a 400-byte key.
  wide = client(server)
  say 'set key of 400 bytes in 200 chars', outcome { token(wide.set('é' * 200, 'wide')) }
  say 'get after 400-byte key', outcome { wide.get('key with spaces') }
  wide.close
  ns = client(server, namespace: 'app')
  say 'namespaced set', token(ns.set('user:1', 'Ada'))
  say 'namespaced key seen plain', dc.get('app:user:1')
  say 'namespaced get_multi', ns.get_multi('user:1', 'user:2')
  ns.close
end

def server_info(dc)
  stats = dc.stats.values.first
  %w[pid uptime version curr_items total_items cmd_get cmd_set get_hits get_misses limit_maxbytes threads].each do |name|
    say "stats has key #{name}", stats.key?(name)
  end
  say 'stats curr_items is a number', stats['curr_items'].to_s.match?(/\A\d+\z/)
  items = dc.stats(:items).values.first
  say 'stats items non-empty hash', items.is_a?(Hash) && !items.empty?
  say 'stats items keys look like items:N:name', items.keys.all? { |k| k.match?(/\Aitems:\d+:\w+\z/) }
  slabs = dc.stats(:slabs).values.first
  say 'stats slabs non-empty hash', slabs.is_a?(Hash) && !slabs.empty?
  say 'stats slabs has key active_slabs', slabs.key?('active_slabs')
  settings = dc.stats(:settings).values.first
  say 'stats settings has key maxbytes', settings.key?('maxbytes')
  say 'version looks like a version', dc.version.values.first.to_s.match?(/\A\d+\.\d+\.\d+/)
  say 'alive!', outcome { dc.alive! && 'no error' }
  say 'reset_stats', dc.reset_stats
  dc.close
  say 'get after close reconnects', dc.get('key with spaces')
end

def flushing(dc)
  say 'flush again', dc.flush
  say 'get after flush', dc.get_multi('key with spaces', 'raw', 'big')
  say 'add after flush', token(dc.add('key with spaces', 'again'))
end

def single(server)
  dc = client(server)
  basics(dc)
  storage(dc)
  cas_steps(dc)
  counters(dc)
  threaded_counter(dc)
  expiry(server, dc)
  deletes(dc)
  multi_block(dc)
  objects(server, dc)
  raw_values(dc)
  compression(server)
  large_values(server, dc)
  keys(server, dc)
  server_info(dc)
  flushing(dc)
  dc.close
end

def ring(servers)
  dc = client(servers)
  keys = Array.new(300) { |i| "ring-#{i}" }
  dc.multi { keys.each { |k| dc.set(k, k) } }
  got = dc.get_multi(keys)
  say 'ring get_multi count', got.size
  say 'ring get_multi values', keys.all? { |k| got[k] == k }
  held = servers.map do |s|
    one = client(s)
    count = one.get_multi(keys).size
    one.close
    count
  end
  held.each_with_index { |n, i| say "ring server #{i} holds some", n.positive? }
  say 'ring keys held across servers', held.sum
  say 'ring delete', dc.delete('ring-7')
  say 'ring get deleted', dc.get('ring-7')
  say 'ring incr with initial', dc.incr('ring-n', 1, 0, 41)
  say 'ring incr', dc.incr('ring-n', 1)
  say 'ring flush', dc.flush
  say 'ring get after flush', dc.get_multi(keys).size
  dc.close
end

def sasl(user, pass, servers)
  dc = client(servers, username: user, password: pass)
  say 'sasl set', outcome { token(dc.set('sasl-key', 'sasl value')) }
  say 'sasl get', outcome { dc.get('sasl-key') }
  say 'sasl incr with initial', outcome { dc.incr('sasl-counter', 1, 0, 5) }
  dc.close
end

args = ARGV.dup
if args.first == '--sasl'
  _, user, pass, *servers = args
  sasl(user, pass, servers)
elsif args.size == 1
  single(args.first)
else
  ring(args)
end
