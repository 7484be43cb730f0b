// The live page's style sheet (served at /ui/style.css): a dark, dense
// operator console; colours of the map and charts are set by the script.

export const PAGE_CSS = String.raw`
:root {
  --bg: #0f1217; --panel: #171b22; --line: #262c36; --text: #d7dce3; --dim: #8a94a3;
  --accent: #5fb3ff; --good: #5ad17a; --bad: #ff5d5d;
  --gets: #5fb3ff; --hits: #5ad17a; --ratio: #f2c14e; --sets: #c792ea; --evictions: #ff5d5d; --merges: #d36bff; --expired: #3ee0ff;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.dim { color: var(--dim); }
.small { font-size: 11px; }
.spacer { flex: 1; }
header { display: flex; align-items: center; gap: 16px; padding: 10px 16px; border-bottom: 1px solid var(--line); background: #12161c; }
h1 { font-size: 16px; margin: 0; font-weight: 600; letter-spacing: .2px; }
h2 { font-size: 12px; margin: 0; font-weight: 600; text-transform: uppercase; letter-spacing: .8px; color: #aab3c0; }
.facts { display: flex; gap: 14px; color: var(--dim); font-variant-numeric: tabular-nums; }
.facts b { color: var(--text); font-weight: 500; }
.status { display: flex; align-items: center; gap: 6px; color: var(--dim); font-variant-numeric: tabular-nums; }
.status .dot { width: 8px; height: 8px; border-radius: 50%; background: #555; }
.status.live .dot { background: var(--good); box-shadow: 0 0 6px var(--good); }
.status.down .dot { background: var(--bad); }
.link { color: var(--accent); text-decoration: none; }
main { display: grid; grid-template-columns: minmax(0, 1.55fr) minmax(340px, 1fr); gap: 12px; padding: 12px 16px 16px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; min-width: 0; }
.panel-head { display: flex; align-items: center; gap: 10px; margin-bottom: 8px; }
.map-panel { grid-row: span 1; }
.side { display: flex; flex-direction: column; gap: 12px; min-width: 0; }
.charts-panel { grid-column: 1 / -1; }
.switch { display: flex; align-items: center; gap: 0; }
.switch .dim { margin-right: 8px; }
.switch button { background: #1f252e; color: var(--dim); border: 1px solid var(--line); padding: 3px 10px; font: inherit; cursor: pointer; }
.switch button:first-of-type { border-radius: 4px 0 0 4px; }
.switch button:last-of-type { border-radius: 0 4px 4px 0; border-left: 0; }
.switch button.on { background: #2a3442; color: var(--text); border-color: #3a4656; }
.map-wrap { position: relative; line-height: 0; }
#map { display: block; image-rendering: pixelated; cursor: crosshair; background: var(--bg); }
.tip { position: absolute; z-index: 2; pointer-events: none; background: rgba(12,15,20,.96); border: 1px solid #3a4656; border-radius: 5px; padding: 8px 10px; min-width: 220px; line-height: 1.45; font-size: 12px; box-shadow: 0 4px 16px rgba(0,0,0,.5); font-variant-numeric: tabular-nums; }
.tip .t-head { font-weight: 600; margin-bottom: 4px; display: flex; gap: 8px; align-items: center; }
.tip .sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; }
.tip table { border-collapse: collapse; width: 100%; }
.tip td { padding: 0 0 0 0; }
.tip td:last-child { text-align: right; padding-left: 12px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-top: 8px; color: var(--dim); font-size: 12px; align-items: center; }
.legend .sw { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.legend .ramp { display: inline-block; width: 140px; height: 10px; border-radius: 2px; vertical-align: -1px; margin: 0 6px; }
#build { margin-top: 4px; }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 8px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .label { color: var(--dim); font-size: 11px; text-transform: uppercase; letter-spacing: .6px; }
.card .value small { font-size: 12px; font-weight: 400; }
.card .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.mem-bar { display: flex; height: 14px; border-radius: 3px; overflow: hidden; background: #1f252e; margin-bottom: 8px; }
.mem-bar div { height: 100%; }
.table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
.table th { text-align: right; color: var(--dim); font-weight: 500; font-size: 11px; padding: 2px 6px; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: var(--panel); }
.table td { text-align: right; padding: 2px 6px; border-bottom: 1px solid #1e232b; white-space: nowrap; }
.table th:nth-child(2), .table td:nth-child(2), #mem-table td:first-child { text-align: left; }
.table td .sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; }
.table-scroll { max-height: 280px; overflow: auto; }
.charts { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 12px; }
figure { margin: 0; min-width: 0; }
figcaption { color: var(--dim); font-size: 12px; margin-bottom: 4px; }
.charts canvas { width: 100%; height: 130px; display: block; }
.key { display: inline-block; width: 10px; height: 3px; vertical-align: 3px; margin: 0 2px; }
.k-gets { background: var(--gets); } .k-hits { background: var(--hits); } .k-ratio { background: var(--ratio); }
.k-sets { background: var(--sets); } .k-evictions { background: var(--evictions); } .k-merges { background: var(--merges); } .k-expired { background: var(--expired); }
@media (max-width: 1100px) { main { grid-template-columns: 1fr; } .charts { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
`;
