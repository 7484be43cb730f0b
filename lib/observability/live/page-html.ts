// The live page's HTML (served at / and /ui): a shell the script fills in.
// Everything it loads is served by this server; no CDN, works offline.

export const PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>grow-a-cache · live</title>
<link rel="stylesheet" href="/ui/style.css">
<script src="/ui/app.js" defer></script>
</head>
<body>
<header>
  <h1>grow-a-cache <span class="dim">live</span></h1>
  <div id="facts" class="facts"></div>
  <div class="spacer"></div>
  <div id="status" class="status"><span class="dot"></span><span id="status-text">connecting…</span></div>
  <a class="link" href="/metrics">/metrics</a>
</header>
<main>
  <section class="panel map-panel">
    <div class="panel-head">
      <h2>Segment map</h2>
      <div id="map-counts" class="dim"></div>
      <div class="spacer"></div>
      <div class="switch" role="group" aria-label="Colour by">
        <span class="dim">colour by</span>
        <button id="mode-ttl" class="on" type="button">TTL bucket</button>
        <button id="mode-live" type="button">live fraction</button>
      </div>
    </div>
    <div id="map-wrap" class="map-wrap">
      <canvas id="map"></canvas>
      <div id="tip" class="tip" hidden></div>
    </div>
    <div id="legend" class="legend"></div>
    <div id="build" class="dim small"></div>
  </section>
  <aside class="side">
    <div class="cards">
      <div class="card"><div class="label">items</div><div id="c-items" class="value">–</div></div>
      <div class="card"><div class="label">live bytes</div><div id="c-bytes" class="value">–</div></div>
      <div class="card"><div class="label" title="hits / gets over the last minute">hit ratio</div><div id="c-hit" class="value">–</div></div>
      <div class="card"><div class="label">free segments</div><div id="c-free" class="value">–</div></div>
    </div>
    <section class="panel">
      <div class="panel-head"><h2>Memory</h2><div class="spacer"></div><div id="mem-total" class="dim"></div></div>
      <div id="mem-bar" class="mem-bar"></div>
      <table id="mem-table" class="table"></table>
    </section>
    <section class="panel">
      <div class="panel-head"><h2>TTL buckets in use</h2><div class="spacer"></div><div id="bucket-count" class="dim"></div></div>
      <div class="table-scroll">
        <table class="table buckets">
          <thead><tr><th></th><th>TTL</th><th>segments</th><th>items</th><th>live bytes</th><th>next expiry</th></tr></thead>
          <tbody id="bucket-rows"></tbody>
        </table>
      </div>
    </section>
    <section id="advisor-panel" class="panel" hidden>
      <div class="panel-head"><h2>Sizing advisor</h2><div class="spacer"></div><div id="advisor-note" class="dim"></div></div>
      <table class="table"><thead><tr><th>memory</th><th>predicted hit ratio</th></tr></thead><tbody id="advisor-rows"></tbody></table>
    </section>
  </aside>
  <section class="panel charts-panel">
    <div class="panel-head"><h2>Per second</h2><div id="chart-span" class="dim"></div></div>
    <div class="charts">
      <figure><figcaption>gets <i class="key k-gets"></i> and hits <i class="key k-hits"></i></figcaption><canvas id="ch-gets"></canvas></figure>
      <figure><figcaption>hit ratio <i class="key k-ratio"></i></figcaption><canvas id="ch-ratio"></canvas></figure>
      <figure><figcaption>sets <i class="key k-sets"></i></figcaption><canvas id="ch-sets"></canvas></figure>
      <figure><figcaption>evictions <i class="key k-evictions"></i> and merges <i class="key k-merges"></i></figcaption><canvas id="ch-evict"></canvas></figure>
      <figure><figcaption>expired items reclaimed <i class="key k-expired"></i></figcaption><canvas id="ch-expired"></canvas></figure>
    </div>
  </section>
</main>
</body>
</html>
`;
