/**
 * The report's only stylesheet, inlined: the file must open anywhere (an approval ticket, an
 * air-gapped laptop) with no network, so system fonts only and no external assets. Light
 * background, print rules that keep tables and charts whole across pages.
 */
export const REPORT_CSS = `
:root {
  --ink: #1f2933; --dim: #616e7c; --line: #d9dee4; --soft: #f5f7f9; --accent: #0072b2;
  --good: #1e7e4f; --good-bg: #e6f4ec; --bad: #b42318; --bad-bg: #fdecea;
  --warn: #8a5a00; --warn-bg: #fff4d6; --info: #175c9c; --info-bg: #e8f1fa;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { color-scheme: light; }
body { margin: 0; background: #fff; color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 2px 0 6px; letter-spacing: -0.01em; word-break: break-word; }
h2 { font-size: 19px; margin: 0 0 6px; padding-bottom: 6px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 15px; margin: 22px 0 8px; }
code { font-family: var(--mono); font-size: 12.5px; }
.dim { color: var(--dim); }
.eyebrow { text-transform: uppercase; letter-spacing: 0.08em; font-size: 11.5px; color: var(--dim); font-weight: 600; }
.versions { font-size: 15px; margin-bottom: 12px; }
.vs { font-weight: 600; }
.vs.none { font-weight: 500; color: var(--warn); }
.vs-sep { color: var(--dim); margin: 0 6px; }
.hash { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; cursor: help; }
.hash-full { word-break: break-all; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 6px 20px; margin: 0; }
.facts > div { min-width: 0; }
.facts dt { font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--dim); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.section .facts { grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); margin-bottom: 4px; }
nav.toc { display: flex; gap: 18px; font-size: 13px; margin: 14px 0 6px; }
nav.toc a { color: var(--accent); text-decoration: none; }
.banner { margin: 18px 0 8px; padding: 14px 18px; border-radius: 8px; border-left: 6px solid; display: grid; grid-template-columns: auto 1fr; gap: 2px 18px; align-items: baseline; }
.banner-verdict { font-size: 20px; font-weight: 700; grid-row: span 2; }
.banner-text { font-size: 15px; font-weight: 500; overflow-wrap: anywhere; }
.banner-counts { font-size: 12.5px; color: var(--dim); }
.banner-info { background: var(--info-bg); border-color: var(--info); } .banner-info .banner-verdict { color: var(--info); }
.banner-good { background: var(--good-bg); border-color: var(--good); } .banner-good .banner-verdict { color: var(--good); }
.banner-bad { background: var(--bad-bg); border-color: var(--bad); } .banner-bad .banner-verdict { color: var(--bad); }
.banner-warn { background: var(--warn-bg); border-color: var(--warn); } .banner-warn .banner-verdict { color: var(--warn); }
.section { margin-top: 30px; }
.intro { color: var(--dim); margin: 4px 0 12px; }
.empty { color: var(--dim); font-style: italic; }
.note { margin: 10px 0 0; }
.notes { color: var(--dim); margin: 8px 0 0; padding-left: 20px; }
.description { font-size: 15px; margin: 8px 0 14px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--soft); font-size: 12px; text-transform: uppercase; letter-spacing: 0.03em; color: var(--dim); border-bottom: 1px solid #c3cad3; }
thead th.num { white-space: normal; }
tbody th { font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.strong { font-weight: 600; }
.ci { color: var(--dim); }
.missing { color: var(--dim); cursor: help; border-bottom: 1px dotted var(--dim); }
.dir { font-size: 11px; font-weight: 500; color: var(--warn); background: var(--warn-bg); border-radius: 3px; padding: 0 4px; white-space: nowrap; }
.delta-better { color: var(--good); font-weight: 600; }
.delta-worse { color: var(--bad); font-weight: 600; }
.reading { font-size: 12.5px; white-space: nowrap; }
.reading-better { color: var(--good); } .reading-worse { color: var(--bad); } .reading-unclear { color: var(--dim); }
.pill { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.pill-pass { background: var(--good-bg); color: var(--good); }
.pill-warn { background: var(--warn-bg); color: var(--warn); }
.pill-fail { background: var(--bad-bg); color: var(--bad); }
.pill-insufficient_data, .pill-skipped, .pill-other { background: #eceff3; color: #52606d; }
tr.row-blocking-fail td:first-child { box-shadow: inset 4px 0 0 var(--bad); }
.gate-name { font-size: 12px; overflow-wrap: anywhere; }
table.gates td:first-child { min-width: 200px; }
.overridden { font-size: 11.5px; color: var(--dim); font-style: italic; }
.evidence { min-width: 220px; }
.override { font-size: 12.5px; }
tr.muted-row td { color: var(--dim); }
.features { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 4px 16px; }
.type { font-size: 11px; border-radius: 3px; padding: 0 5px; }
.type-numeric { background: #e8f1fa; color: #175c9c; } .type-categorical { background: #f3e8f7; color: #7a3d8f; }
.limitations { margin: 0; padding-left: 20px; }
table.params, table.splits { width: auto; font-size: 12.5px; }
table.kv { width: auto; min-width: 60%; }
table.kv > tbody > tr > th { width: 220px; font-weight: 500; color: var(--dim); white-space: nowrap; }
table.cost { width: auto; min-width: 60%; }
table.metrics.solo { width: auto; min-width: 50%; }
tfoot th, tfoot td { border-top: 1px solid #c3cad3; font-weight: 600; }
table.params th, table.params td, table.splits th, table.splits td { padding: 2px 12px 2px 0; border: none; background: none; }
table.splits thead th { text-transform: none; letter-spacing: 0; }
.chart-block { margin-top: 18px; }
.grid-2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 18px; align-items: start; }
.grid-3 { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 18px; align-items: start; }
.figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 10px 10px 6px; background: #fff; }
.chart-empty { color: var(--dim); font-style: italic; padding: 18px; }
.fairness-summary { margin-top: 14px; }
svg.chart { display: block; width: 100%; height: auto; overflow: visible; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
svg .chart-title { font-size: 13.5px; font-weight: 650; fill: var(--ink); }
svg .legend-label { font-size: 11px; fill: #3e4c59; }
svg .tick-label { font-size: 10.5px; fill: #52606d; font-variant-numeric: tabular-nums; }
svg .axis-title { font-size: 11px; fill: #3e4c59; }
svg .axis { stroke: #7b8794; stroke-width: 1; }
svg .tick { stroke: #7b8794; }
svg .grid { stroke: #e8ebef; }
svg .reference { stroke-width: 1.5; fill: none; }
svg .category-label { font-size: 11px; fill: var(--ink); }
svg .category-note { font-size: 10px; fill: #7b8794; }
svg .muted { fill: #9aa5b1; font-style: italic; }
svg .error-bar line { stroke: #1f2933; stroke-width: 1.3; }
svg .chart-footnote { font-size: 10.5px; fill: #616e7c; }
footer { margin-top: 36px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--dim); font-size: 12px; }
@media print {
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  .banner, .figure, tr, .facts > div { break-inside: avoid; }
  .section { break-before: auto; }
  h2, h3 { break-after: avoid; }
  .banner { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .pill, .dir, thead th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .grid-2 { grid-template-columns: 1fr 1fr; } .grid-3 { grid-template-columns: 1fr 1fr 1fr; }
  .table-wrap { overflow: visible; }
}
`;
