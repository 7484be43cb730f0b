// The live page's script (served at /ui/app.js), written by hand: no
// framework, no bundler. Every second it fetches /ui/snapshot (the binary
// segment map, layout in segments/segment-map.ts) and /ui/summary (JSON),
// draws the map on a canvas as an ImageData (one cell per segment, cells
// shrinking to single pixels for large heaps), the side panels and the
// per-second charts (plain canvas). Hovering a cell fetches /ui/segment?id=N.
// Kept as plain ES5-style browser JavaScript in a string so tsc ships it
// inside dist with no build step; test/observability/live-page.test.ts
// compiles it to catch syntax errors and the browser test runs it.

export const PAGE_JS = String.raw`'use strict';
(function () {
  var POLL_MS = 1000;
  var FADE_S = 12;
  var MERGE_FADE_S = 4;
  var RING = 600;
  var MAP_FREE = 0xffff;
  var FLAG_READ = 8, FLAG_TAIL = 16, EVENT_MASK = 7;
  var EVENTS = ['', 'expired', 'evicted', 'merged', 'emptied'];
  var EVENT_RGB = [null, [62, 224, 255], [255, 77, 77], [211, 107, 255], [62, 224, 255]];
  var FREE_RGB = [38, 44, 54];
  var NEVER_RGB = [200, 206, 216];
  var SERIES = ['gets', 'hits', 'sets', 'evictions', 'merges', 'expired'];

  var state = {
    mode: 'ttl', map: null, summary: null, updates: 0, lastOk: 0, since: 0,
    series: {}, layout: null, hover: -1, detail: null, detailFor: -1, busy: false
  };
  SERIES.forEach(function (s) { state.series[s] = []; });
  window.liveState = state;

  function $(id) { return document.getElementById(id); }
  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

  // ---- formatting ----------------------------------------------------------
  function fmtInt(n) { return n == null ? '–' : Math.round(n).toLocaleString('en-US'); }
  function fmtBytes(n) {
    if (n == null) return '–';
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (Math.abs(n) >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(Math.round(n)) : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)) + ' ' + u[i];
  }
  function fmtDur(s) {
    if (s == null) return '–';
    s = Math.max(0, Math.round(s));
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    if (s < 172800) return (s / 3600).toFixed(1).replace(/\.0$/, '') + ' h';
    return (s / 86400).toFixed(1).replace(/\.0$/, '') + ' d';
  }
  function fmtRate(v) {
    if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (v >= 1e4) return Math.round(v / 1e3) + 'k';
    if (v >= 1e3) return (v / 1e3).toFixed(1) + 'k';
    return v >= 10 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
  }
  function ttlLabel(b) {
    if (b.never) return 'never expires';
    if (b.ttlMax == null) return '\u2265 ' + fmtDur(b.ttlMin);
    if (b.ttlMax < 120) return b.ttlMin + '\u2013' + (b.ttlMax + 1) + ' s';
    return fmtDur(b.ttlMin) + '\u2013' + fmtDur(b.ttlMax + 1);
  }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }

  // ---- colours -------------------------------------------------------------
  // TTL bucket -> colour by bucket lower bound on a log scale: short lives are
  // warm, long lives cool; the never-expiring bucket is pale grey.
  function bucketMin(b) {
    if (b < 256) return b * 8;
    if (b < 512) return (b - 256) * 128;
    if (b < 768) return (b - 512) * 2048;
    return (b - 768) * 32768;
  }
  function hsl(h, s, l) {
    s /= 100; l /= 100;
    var k = function (n) { return (n + h / 30) % 12; };
    var a = s * Math.min(l, 1 - l);
    var f = function (n) { return l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1))); };
    return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
  }
  var bucketRgbCache = {};
  function bucketRgb(b) {
    if (b >= 1024) return NEVER_RGB;
    var c = bucketRgbCache[b];
    if (c) return c;
    var t = Math.min(1, Math.log(1 + bucketMin(b)) / Math.log(1 + 8388608));
    c = hsl(8 + t * 262, 78, 58);
    bucketRgbCache[b] = c;
    return c;
  }
  // Live fraction: red (all dead) -> amber -> green (all live).
  function liveRgb(f) {
    return hsl(f * 125, 72, 30 + f * 20);
  }
  function mix(a, b, t) { return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]; }
  function rgbStr(c) { return 'rgb(' + Math.round(c[0]) + ',' + Math.round(c[1]) + ',' + Math.round(c[2]) + ')'; }

  function cellRgb(m, i) {
    var b = m.bucket[i], flags = m.flags[i], ev = flags & EVENT_MASK, age = m.eventAge[i];
    var base;
    if (b === MAP_FREE) base = FREE_RGB;
    else if (state.mode === 'ttl') base = mix([24, 28, 34], bucketRgb(b), 0.35 + 0.65 * (m.live[i] / 255));
    else base = liveRgb(m.live[i] / 255);
    // A segment freed moments ago glows in the colour of why it was freed and
    // fades to free; one merged into (in use) gets a shorter, lighter tint,
    // because under eviction merges never stop.
    if (ev && b === MAP_FREE && age < FADE_S) base = mix(base, EVENT_RGB[ev], 1 - age / FADE_S);
    else if (ev === 3 && age < MERGE_FADE_S) base = mix(base, EVENT_RGB[3], 0.6 * (1 - age / MERGE_FADE_S));
    return base;
  }

  // ---- the map -------------------------------------------------------------
  function layoutFor(n) {
    var wrap = $('map-wrap');
    var dpr = window.devicePixelRatio || 1;
    var width = Math.max(200, wrap.clientWidth) * dpr;
    var height = Math.max(260, Math.min(window.innerHeight - 260, 640)) * dpr;
    // The largest whole-pixel cell whose grid fits the width and (give or
    // take a little) the height: 64 segments get big tiles, 65,536 get 2-3
    // device pixels each.
    var s = 1;
    for (var t = Math.min(Math.floor(112 * dpr), Math.floor(width)); t >= 1; t--) {
      var c = Math.max(1, Math.min(n, Math.floor(width / t)));
      if (Math.ceil(n / c) * t <= height * 1.1) { s = t; break; }
    }
    var cols = Math.max(1, Math.min(n, Math.floor(width / s)));
    var rows = Math.ceil(n / cols);
    var gap = s >= 10 * dpr ? Math.round(2 * dpr) : s >= 4 ? 1 : 0;
    return { n: n, s: s, cols: cols, rows: rows, gap: gap, dpr: dpr, width: cols * s, height: rows * s };
  }

  function drawMap() {
    var m = state.map;
    if (!m) return;
    var canvas = $('map');
    var L = state.layout;
    if (!L || L.n !== m.segmentCount || L.wrapWidth !== $('map-wrap').clientWidth) {
      L = layoutFor(m.segmentCount);
      L.wrapWidth = $('map-wrap').clientWidth;
      state.layout = L;
      canvas.width = L.width;
      canvas.height = L.height;
      canvas.style.width = L.width / L.dpr + 'px';
      canvas.style.height = L.height / L.dpr + 'px';
    }
    var ctx = canvas.getContext('2d');
    var img = ctx.createImageData(L.width, L.height);
    var px = new Uint32Array(img.data.buffer);
    var bg = pack([15, 18, 23]);
    px.fill(bg);
    var inner = L.s - L.gap;
    var showFill = inner >= 8;
    for (var i = 0; i < m.segmentCount; i++) {
      var c = cellRgb(m, i);
      var col = pack(c);
      var x0 = (i % L.cols) * L.s, y0 = Math.floor(i / L.cols) * L.s;
      var free = m.bucket[i] === MAP_FREE;
      // Big cells show how far the segment is written (the rest dimmed) and
      // mark the chain tail (the segment writes go to) with a bright edge.
      var split = showFill && !free ? Math.round(inner * (1 - m.fill[i] / 255)) : 0;
      var dim = split > 0 ? pack(mix(c, [15, 18, 23], 0.6)) : col;
      var tail = showFill && !free && (m.flags[i] & FLAG_TAIL);
      var edge = pack([240, 244, 250]);
      for (var y = 0; y < inner; y++) {
        var row = (y0 + y) * L.width + x0;
        var v = y < split ? dim : col;
        for (var x = 0; x < inner; x++) px[row + x] = v;
        if (tail) { px[row] = edge; px[row + inner - 1] = edge; }
      }
      if (tail) {
        for (var xx = 0; xx < inner; xx++) { px[y0 * L.width + x0 + xx] = edge; px[(y0 + inner - 1) * L.width + x0 + xx] = edge; }
      }
    }
    ctx.putImageData(img, 0, 0);
    state.drawnCells = m.segmentCount;
    if (state.hover >= 0 && state.hover < m.segmentCount) {
      var hx = (state.hover % L.cols) * L.s, hy = Math.floor(state.hover / L.cols) * L.s;
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = Math.max(1, L.dpr);
      var pad = L.s < 6 ? 3 : 0;
      ctx.strokeRect(hx - pad + 0.5, hy - pad + 0.5, Math.max(L.s - L.gap, 1) + 2 * pad - 1, Math.max(L.s - L.gap, 1) + 2 * pad - 1);
    }
  }
  // ImageData is RGBA bytes; as little-endian u32 that is 0xAABBGGRR.
  function pack(c) { return ((255 << 24) | (Math.round(c[2]) << 16) | (Math.round(c[1]) << 8) | Math.round(c[0])) >>> 0; }

  function decodeMap(buf) {
    var v = new DataView(buf);
    if (v.getUint32(0, true) !== 0x314d5347) throw new Error('not a segment map');
    var n = v.getUint32(4, true);
    return {
      segmentCount: n, segmentSize: v.getUint32(8, true), nowS: v.getUint32(12, true),
      bucket: new Uint16Array(buf, 16, n),
      live: new Uint8Array(buf, 16 + 2 * n, n),
      fill: new Uint8Array(buf, 16 + 3 * n, n),
      flags: new Uint8Array(buf, 16 + 4 * n, n),
      eventAge: new Uint8Array(buf, 16 + 5 * n, n)
    };
  }

  function mapCounts(m) {
    var free = 0, filling = 0, recent = [0, 0, 0, 0, 0];
    for (var i = 0; i < m.segmentCount; i++) {
      if (m.bucket[i] === MAP_FREE) free++;
      else if (m.flags[i] & FLAG_TAIL) filling++;
      var ev = m.flags[i] & EVENT_MASK;
      if (ev && m.eventAge[i] < (ev === 3 ? MERGE_FADE_S : FADE_S)) recent[ev]++;
    }
    return { free: free, used: m.segmentCount - free, filling: filling, recent: recent };
  }

  function renderLegend() {
    var parts = [];
    if (state.mode === 'ttl') {
      var stops = [];
      for (var k = 0; k <= 10; k++) stops.push(rgbStr(hsl(8 + k * 26.2, 78, 58)));
      parts.push('<span>TTL 0 s<span class="ramp" style="background:linear-gradient(90deg,' + stops.join(',') + ')"></span>97 d+</span>');
      parts.push('<span><span class="sw" style="background:' + rgbStr(NEVER_RGB) + '"></span>never expires</span>');
      parts.push('<span class="dim">(darker = fewer live bytes)</span>');
    } else {
      var st = [];
      for (var j = 0; j <= 10; j++) st.push(rgbStr(liveRgb(j / 10)));
      parts.push('<span>live 0%<span class="ramp" style="background:linear-gradient(90deg,' + st.join(',') + ')"></span>100%</span>');
    }
    parts.push('<span><span class="sw" style="background:' + rgbStr(FREE_RGB) + ';outline:1px solid #3a4656"></span>free</span>');
    parts.push('<span><span class="sw" style="background:#fff"></span>filling (edge)</span>');
    parts.push('<span><span class="sw" style="background:' + rgbStr(EVENT_RGB[1]) + '"></span>just expired</span>');
    parts.push('<span><span class="sw" style="background:' + rgbStr(EVENT_RGB[2]) + '"></span>just evicted</span>');
    parts.push('<span><span class="sw" style="background:' + rgbStr(EVENT_RGB[3]) + '"></span>just merged</span>');
    $('legend').innerHTML = parts.join('');
  }

  // ---- hover ---------------------------------------------------------------
  function segmentAt(ev) {
    var L = state.layout, m = state.map;
    if (!L || !m) return -1;
    var rect = $('map').getBoundingClientRect();
    var x = Math.floor(((ev.clientX - rect.left) * L.dpr) / L.s);
    var y = Math.floor(((ev.clientY - rect.top) * L.dpr) / L.s);
    if (x < 0 || y < 0 || x >= L.cols) return -1;
    var i = y * L.cols + x;
    return i < m.segmentCount ? i : -1;
  }

  var detailTimer = 0;
  function onMove(ev) {
    var i = segmentAt(ev);
    var tip = $('tip');
    if (i < 0) { hideTip(); return; }
    var wrap = $('map-wrap').getBoundingClientRect();
    var x = ev.clientX - wrap.left + 16, y = ev.clientY - wrap.top + 16;
    if (x + 260 > wrap.width) x = Math.max(0, x - 280);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
    tip.hidden = false;
    if (i !== state.hover) {
      state.hover = i;
      state.detail = null;
      renderTip();
      drawMap();
      clearTimeout(detailTimer);
      detailTimer = setTimeout(fetchDetail, 60);
    }
  }
  function hideTip() {
    $('tip').hidden = true;
    if (state.hover !== -1) { state.hover = -1; drawMap(); }
  }
  function fetchDetail() {
    var id = state.hover;
    if (id < 0) return;
    fetch('/ui/segment?id=' + id, { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (d) {
      if (state.hover === id) { state.detail = d; state.detailFor = id; renderTip(); }
    }).catch(function () {});
  }
  function renderTip() {
    var m = state.map, i = state.hover;
    if (!m || i < 0) return;
    var s = state.summary;
    var free = m.bucket[i] === MAP_FREE;
    var ev = m.flags[i] & EVENT_MASK, age = m.eventAge[i];
    var rows = [];
    var head = 'segment ' + i;
    var sw = rgbStr(cellRgb(m, i));
    var d = state.detailFor === i ? state.detail : null;
    var now = m.nowS;
    if (free) rows.push(['state', 'free']);
    else {
      var b = s && s.buckets.find(function (x) { return x.bucket === m.bucket[i]; });
      rows.push(['state', (m.flags[i] & FLAG_TAIL) ? 'filling (chain tail)' : 'full']);
      rows.push(['TTL bucket', m.bucket[i] + (b ? ' \u00b7 ' + ttlLabel(b) : '')]);
      rows.push(['live', (d ? fmtInt(d.liveItems) + ' items \u00b7 ' + fmtBytes(d.liveBytes) : '') + ' (' + Math.round((m.live[i] / 255) * 100) + '%)']);
      rows.push(['written', d ? fmtBytes(d.writtenBytes) + ' of ' + fmtBytes(m.segmentSize) : Math.round((m.fill[i] / 255) * 100) + '%']);
      if (d) {
        rows.push(['created', d.createTime ? fmtDur(now - d.createTime) + ' ago' : '–']);
        rows.push(['latest deadline', d.latestDeadline == null ? 'none yet' : d.latestDeadline < 0 ? 'never' : d.latestDeadline > now ? 'in ' + fmtDur(d.latestDeadline - now) : fmtDur(now - d.latestDeadline) + ' ago']);
      }
      rows.push(['reads', (m.flags[i] & FLAG_READ) ? 'read since written' : 'never read']);
    }
    if (ev && age !== 255) rows.push(['last event', EVENTS[ev] + ' ' + (age === 0 ? 'just now' : age + ' s ago')]);
    var html = '<div class="t-head"><span class="sw" style="background:' + sw + '"></span>' + esc(head) + '</div><table>';
    rows.forEach(function (r) { html += '<tr><td class="dim">' + esc(r[0]) + '</td><td>' + esc(r[1]) + '</td></tr>'; });
    $('tip').innerHTML = html + '</table>';
  }

  // ---- side panels -----------------------------------------------------------
  function renderSummary(s, counts) {
    $('facts').innerHTML = '<span>' + esc(s.version) + '</span><span>up <b>' + fmtDur(s.uptimeS) + '</b></span><span><b>' +
      fmtInt(s.segmentsTotal) + '</b> segments \u00d7 <b>' + fmtBytes(s.segmentSize) + '</b></span><span>eviction <b>' + esc(s.evictionPolicy) + '</b></span>';
    var rc = counts.recent;
    $('map-counts').textContent = fmtInt(counts.used) + ' used \u00b7 ' + fmtInt(counts.free) + ' free \u00b7 ' + fmtInt(counts.filling) + ' filling' +
      (rc[1] + rc[4] ? ' \u00b7 ' + (rc[1] + rc[4]) + ' just expired' : '') + (rc[2] ? ' \u00b7 ' + rc[2] + ' just evicted' : '') + (rc[3] ? ' \u00b7 ' + rc[3] + ' just merged' : '');
    $('c-items').textContent = fmtInt(s.items);
    $('c-bytes').textContent = fmtBytes(s.memory.liveBytes);
    $('c-free').innerHTML = fmtInt(s.segmentsFree) + ' <small class="dim">/ ' + fmtInt(s.segmentsTotal) + '</small>';
    var g = sum(state.series.gets.slice(-60)), h = sum(state.series.hits.slice(-60));
    $('c-hit').textContent = g > 0 ? (100 * h / g).toFixed(1) + '%' : '–';

    var mem = s.memory;
    var dead = Math.max(0, (mem.writtenBytes || 0) - (mem.liveBytes || 0));
    var unwritten = Math.max(0, mem.segmentsUsedBytes - (mem.writtenBytes || 0));
    var other = Math.max(0, mem.rssBytes - mem.heapBytes - mem.hashBytes);
    var parts = [
      ['live items', mem.liveBytes || 0, '#5ad17a', 'in used segments'],
      ['dead bytes', dead, '#e0694b', 'deleted / overwritten / expired, not yet reclaimed'],
      ['unwritten', unwritten, '#44607e', 'room left in used segments'],
      ['free segments', mem.segmentsFreeBytes, '#2b3340', fmtInt(s.segmentsFree) + ' segments'],
      ['hash table', mem.hashBytes, '#c792ea', '2^' + s.hash.power + ' slots, load ' + s.hash.load.toFixed(2) + (s.hash.expanding ? ', growing' : '')]
    ];
    var total = mem.heapBytes + mem.hashBytes;
    $('mem-bar').innerHTML = parts.map(function (p) {
      return '<div title="' + esc(p[0] + ': ' + fmtBytes(p[1])) + '" style="width:' + (100 * p[1] / total).toFixed(3) + '%;background:' + p[2] + '"></div>';
    }).join('');
    var rowsHtml = parts.map(function (p) {
      return '<tr><td><span class="sw" style="background:' + p[2] + '"></span> ' + esc(p[0]) + ' <span class="dim small">' + esc(p[3]) + '</span></td><td>' + fmtBytes(p[1]) + '</td></tr>';
    }).join('');
    rowsHtml += '<tr><td>segment heap (-m) <span class="dim small">allocated up front, paged in as written</span></td><td>' + fmtBytes(mem.heapBytes) + '</td></tr>';
    rowsHtml += '<tr><td>process RSS <span class="dim small">' + fmtBytes(other) + ' beyond heap + hash</span></td><td>' + fmtBytes(mem.rssBytes) + '</td></tr>';
    $('mem-table').innerHTML = rowsHtml;
    $('mem-total').textContent = 'limit ' + fmtBytes(s.limitBytes);

    $('bucket-count').textContent = s.buckets.length + ' of 1025';
    $('bucket-rows').innerHTML = s.buckets.length === 0 ? '<tr><td colspan="6" class="dim" style="text-align:center">no segment in use</td></tr>' :
      s.buckets.map(function (b) {
        var next = b.nextExpiry == null ? (b.never ? '\u2013' : 'none') : b.nextExpiry <= s.nowS ? 'due' : 'in ' + fmtDur(b.nextExpiry - s.nowS);
        return '<tr><td><span class="sw" style="background:' + rgbStr(bucketRgb(b.bucket)) + '"></span></td><td>' + esc(ttlLabel(b)) + '</td><td>' + fmtInt(b.segments) +
          '</td><td>' + fmtInt(b.items) + '</td><td>' + fmtBytes(b.bytes) + '</td><td>' + next + '</td></tr>';
      }).join('');
    // -o advisor: the predicted hit ratio per memory size (null when off).
    var adv = s.advisor;
    $('advisor-panel').hidden = !adv;
    if (adv) {
      $('advisor-note').textContent = 'rate ' + adv.rate + ' \u00b7 copies ' + fmtBytes(adv.memoryBytes);
      $('advisor-rows').innerHTML = adv.points.map(function (p) {
        var cur = p.memoryBytes === s.limitBytes;
        return '<tr><td>' + (cur ? '<b>' : '') + fmtBytes(p.memoryBytes) + (cur ? ' (-m)</b>' : '') + '</td><td>' +
          (p.hitRatio == null ? '\u2013' : (100 * p.hitRatio).toFixed(2) + '%') + (p.lowSample ? ' <span class="dim small">few items</span>' : '') + '</td></tr>';
      }).join('');
    }
    var t = s.build;
    $('build').textContent = t ? 'map of ' + fmtInt(s.segmentsTotal) + ' segments read in ' + t.slices + ' slice' + (t.slices > 1 ? 's' : '') +
      ', longest ' + t.maxSliceMs.toFixed(2) + ' ms \u00b7 ' + fmtBytes(16 + 6 * s.segmentsTotal) + ' per update' : '';
  }
  function sum(a) { var t = 0; for (var i = 0; i < a.length; i++) t += a[i]; return t; }

  // ---- charts ------------------------------------------------------------------
  function drawChart(id, lines, opts) {
    var canvas = $(id);
    var dpr = window.devicePixelRatio || 1;
    var w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }
    var ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    var left = 38, right = 4, top = 6, bottom = 14;
    var pw = w - left - right, ph = h - top - bottom;
    // The window grows with the history, from two minutes up to the ring.
    var span = Math.max(120, Math.min(RING, lines[0].values.length));
    var max = opts.max || 0;
    if (!opts.max) lines.forEach(function (l) { l.values.forEach(function (v) { if (v != null && v > max) max = v; }); });
    if (!(max > 0)) max = 1;
    max = niceCeil(max);
    ctx.font = '10px system-ui, sans-serif';
    ctx.fillStyle = '#8a94a3';
    ctx.strokeStyle = '#262c36';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (var g = 0; g <= 2; g++) {
      var gy = Math.round(top + ph - (ph * g) / 2) + 0.5;
      ctx.beginPath(); ctx.moveTo(left, gy); ctx.lineTo(w - right, gy); ctx.stroke();
      var val = (max * g) / 2;
      ctx.fillText(opts.percent ? Math.round(val * 100) + '%' : fmtRate(val), left - 4, gy);
    }
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText('\u2212' + fmtDur(span), left, h - 2);
    ctx.textAlign = 'right';
    ctx.fillText('now', w - right, h - 2);
    lines.forEach(function (l) {
      var vals = l.values, n = vals.length;
      ctx.strokeStyle = l.color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      var pen = false;
      for (var i = 0; i < n; i++) {
        var v = vals[i];
        if (v == null) { pen = false; continue; }
        var x = left + pw * (1 - (n - 1 - i) / (span - 1));
        var y = top + ph - (ph * Math.min(v, max)) / max;
        if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        pen = true;
      }
      ctx.stroke();
      if (n > 0 && vals[n - 1] != null) {
        // The latest value, top right, on a backing so lines do not cross it.
        var label = opts.percent ? (vals[n - 1] * 100).toFixed(1) + '%' : fmtRate(vals[n - 1]);
        var lw = ctx.measureText(label).width;
        ctx.fillStyle = 'rgba(23,27,34,.85)';
        ctx.fillRect(w - right - lw - 5, top + l.row * 11, lw + 4, 11);
        ctx.fillStyle = l.color;
        ctx.textAlign = 'right';
        ctx.fillText(label, w - right - 3, top + 9 + l.row * 11);
      }
    });
  }
  function niceCeil(v) {
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function drawCharts() {
    var S = state.series;
    var ratio = S.gets.map(function (g, i) { return g > 0 ? S.hits[i] / g : null; });
    drawChart('ch-gets', [{ values: S.gets, color: css('--gets'), row: 0 }, { values: S.hits, color: css('--hits'), row: 1 }], {});
    drawChart('ch-ratio', [{ values: ratio, color: css('--ratio'), row: 0 }], { max: 1, percent: true });
    drawChart('ch-sets', [{ values: S.sets, color: css('--sets'), row: 0 }], {});
    drawChart('ch-evict', [{ values: S.evictions, color: css('--evictions'), row: 0 }, { values: S.merges, color: css('--merges'), row: 1 }], {});
    drawChart('ch-expired', [{ values: S.expired, color: css('--expired'), row: 0 }], {});
    var n = S.gets.length;
    $('chart-span').textContent = n ? 'last ' + fmtDur(n) + ' (history starts when the page is first opened)' : 'collecting\u2026';
  }

  // ---- polling -------------------------------------------------------------------
  function setStatus(ok, text) {
    var el = $('status');
    el.className = 'status ' + (ok ? 'live' : 'down');
    $('status-text').textContent = text;
  }

  function poll() {
    if (state.busy) return;
    state.busy = true;
    Promise.all([
      fetch('/ui/snapshot', { cache: 'no-store' }).then(function (r) { if (!r.ok) throw new Error('snapshot ' + r.status); return r.arrayBuffer(); }),
      fetch('/ui/summary?since=' + state.since, { cache: 'no-store' }).then(function (r) { if (!r.ok) throw new Error('summary ' + r.status); return r.json(); })
    ]).then(function (res) {
      var m = decodeMap(res[0]), s = res[1];
      if (s.rates.next < state.since) SERIES.forEach(function (k) { state.series[k] = []; });
      SERIES.forEach(function (k) {
        var a = state.series[k].concat(s.rates.series[k]);
        state.series[k] = a.length > RING ? a.slice(a.length - RING) : a;
      });
      state.since = s.rates.next;
      state.map = m;
      state.summary = s;
      state.updates++;
      state.lastOk = Date.now();
      var counts = mapCounts(m);
      drawMap();
      renderSummary(s, counts);
      drawCharts();
      if (state.hover >= 0) { renderTip(); fetchDetail(); }
      var body = document.body.dataset;
      body.cells = String(state.drawnCells || 0);
      body.segments = String(s.segmentsTotal);
      body.free = String(counts.free);
      body.used = String(counts.used);
      body.updates = String(state.updates);
      body.chartPoints = String(state.series.gets.length);
      body.items = String(s.items);
      setStatus(true, 'live \u00b7 every ' + POLL_MS / 1000 + ' s');
    }).catch(function (err) {
      setStatus(false, 'disconnected (' + (err && err.message ? err.message : err) + ')');
    }).then(function () { state.busy = false; });
  }

  function setMode(mode) {
    state.mode = mode;
    $('mode-ttl').className = mode === 'ttl' ? 'on' : '';
    $('mode-live').className = mode === 'live' ? 'on' : '';
    renderLegend();
    drawMap();
  }

  function start() {
    $('mode-ttl').addEventListener('click', function () { setMode('ttl'); });
    $('mode-live').addEventListener('click', function () { setMode('live'); });
    $('map').addEventListener('mousemove', onMove);
    $('map').addEventListener('mouseleave', hideTip);
    window.addEventListener('resize', function () { state.layout = null; drawMap(); drawCharts(); });
    renderLegend();
    poll();
    setInterval(poll, POLL_MS);
    setInterval(function () {
      if (state.lastOk && Date.now() - state.lastOk > 5000) setStatus(false, 'no update for ' + Math.round((Date.now() - state.lastOk) / 1000) + ' s');
    }, 1000);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`;
