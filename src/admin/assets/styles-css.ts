/** The dashboard stylesheet (light and dark, responsive). Embedded as text so it ships inside the ESM and CJS builds. */
export const STYLES_CSS = String.raw`:root {
  --bg: #f6f7f9;
  --surface: #ffffff;
  --surface-2: #f1f3f6;
  --border: #dfe3e8;
  --text: #1c2330;
  --muted: #5d6878;
  --accent: #2958d6;
  --accent-hover: #1f47b3;
  --accent-text: #ffffff;
  --focus: #2958d6;
  --danger: #b42318;
  --row-hover: #f3f6fc;
  --row-selected: #e8eefc;
  --code-bg: #f4f6f8;
  --shadow: 0 1px 2px rgba(16, 24, 40, 0.06);
  --radius: 6px;
  --font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  --mono: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
  --ok-bg: #e6f4ea; --ok-fg: #17663a;
  --bad-bg: #fdecea; --bad-fg: #a3231a;
  --warn-bg: #fff4e0; --warn-fg: #8a5300;
  --info-bg: #e8effd; --info-fg: #1f4fbf;
  --busy-bg: #f1e9fd; --busy-fg: #6236b5;
  --idle-bg: #eceef1; --idle-fg: #4a5465;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --surface: #181c22; --surface-2: #1f242c; --border: #2e3540; --text: #e4e8ee; --muted: #9aa4b2;
    --accent: #6f96ff; --accent-hover: #8eacff; --accent-text: #0d1117; --focus: #8eacff; --danger: #ff7b72;
    --row-hover: #1e2530; --row-selected: #1f2b44; --code-bg: #14181e; --shadow: none;
    --ok-bg: #12361f; --ok-fg: #6fdd95; --bad-bg: #42181a; --bad-fg: #ff9b94; --warn-bg: #3b2a0c; --warn-fg: #f5c26b;
    --info-bg: #16264a; --info-fg: #9bb8ff; --busy-bg: #2b1e47; --busy-fg: #c6a8ff; --idle-bg: #262c35; --idle-fg: #aeb7c4;
  }
}

* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.5 var(--font); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; border-radius: 3px; }
h1 { font-size: 20px; line-height: 1.3; margin: 0; font-weight: 650; letter-spacing: -0.01em; }
h2 { font-size: 15px; margin: 24px 0 8px; font-weight: 650; }
.mono { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.nowrap { white-space: nowrap; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

.skip-link { position: absolute; left: 8px; top: -40px; background: var(--surface); padding: 6px 10px; border-radius: var(--radius); z-index: 10; }
.skip-link:focus { top: 8px; }

/* ── top bar ── */
.topbar { background: var(--surface); border-bottom: 1px solid var(--border); position: sticky; top: 0; z-index: 5; }
.topbar-inner { max-width: 1440px; margin: 0 auto; padding: 0 20px; display: flex; align-items: center; gap: 24px; min-height: 52px; flex-wrap: wrap; }
.brand { font-weight: 700; color: var(--text); display: inline-flex; align-items: center; gap: 8px; font-size: 15px; }
.brand:hover { text-decoration: none; }
.brand-mark { width: 18px; height: 18px; border-radius: 5px; background: linear-gradient(135deg, var(--accent), #7aa2ff); display: inline-block; }
.nav { display: flex; gap: 4px; flex-wrap: wrap; }
.nav a { color: var(--muted); padding: 6px 10px; border-radius: var(--radius); font-weight: 550; }
.nav a:hover { color: var(--text); background: var(--surface-2); text-decoration: none; }
.nav a[aria-current="page"] { color: var(--text); background: var(--surface-2); box-shadow: inset 0 -2px 0 var(--accent); }
.topbar-end { margin-left: auto; }
.pill { display: inline-block; padding: 2px 10px; border-radius: 999px; background: var(--surface-2); color: var(--muted); font-size: 12px; max-width: 340px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: middle; }

main { max-width: 1440px; margin: 0 auto; padding: 20px; }
main:focus { outline: none; }

/* ── page heads ── */
.page-head { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 24px; margin-bottom: 16px; }
.page-head .subtitle { flex-basis: 100%; margin: 0; color: var(--muted); }
.event-head { justify-content: space-between; align-items: flex-start; }
.event-head .subtitle { margin-top: 6px; display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
.event-head h1 { overflow-wrap: anywhere; }
.event-head h1 .mono { font-size: 0.85em; font-weight: 600; }
h3 { font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); margin: 14px 0 6px; }
.head-actions { display: flex; gap: 8px; }
.crumbs { margin-bottom: 12px; font-size: 13px; }
.entity-type { font-weight: 650; }

/* ── status counts ── */
.summary { display: flex; flex-wrap: wrap; gap: 6px; margin-left: auto; }
.count { display: inline-flex; align-items: baseline; gap: 6px; padding: 4px 10px; border: 1px solid var(--border); border-radius: 999px; background: var(--surface); color: var(--text); font-size: 12.5px; }
.count:hover { text-decoration: none; border-color: var(--accent); }
.count.active { border-color: var(--accent); box-shadow: inset 0 0 0 1px var(--accent); }
.count-label { color: var(--muted); text-transform: capitalize; }
.count-value { font-weight: 650; font-variant-numeric: tabular-nums; }
.count-failed .count-value { color: var(--bad-fg); }
.count-retrying .count-value { color: var(--warn-fg); }
.count-succeeded .count-value { color: var(--ok-fg); }

/* ── filters ── */
.filters { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px 12px; padding: 14px; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); margin-bottom: 12px; }
.filters-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px 12px; margin-top: 10px; }
.more-filters { grid-column: 1 / -1; }
.more-filters > summary { cursor: pointer; color: var(--accent); font-weight: 550; font-size: 13px; width: max-content; border-radius: 3px; }
.field { display: flex; flex-direction: column; gap: 4px; min-width: 0; }
.field label { font-size: 12px; font-weight: 600; color: var(--muted); }
.field.actions { flex-direction: row; align-items: flex-end; gap: 8px; }
input[type="text"], input[type="datetime-local"], select {
  font: inherit; color: var(--text); background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius);
  padding: 6px 8px; min-height: 32px; width: 100%; min-width: 0;
}
input[type="text"]:focus-visible, input[type="datetime-local"]:focus-visible, select:focus-visible { outline-offset: 0; border-color: var(--focus); }
input[type="checkbox"], input[type="radio"] { width: 16px; height: 16px; accent-color: var(--accent); margin: 0; cursor: pointer; }

/* ── buttons ── */
.button { font: inherit; font-weight: 550; display: inline-flex; align-items: center; justify-content: center; gap: 6px; min-height: 32px; padding: 5px 12px;
  border-radius: var(--radius); border: 1px solid var(--border); background: var(--surface); color: var(--text); cursor: pointer; white-space: nowrap; }
.button:hover { background: var(--surface-2); text-decoration: none; }
.button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
.button.primary:hover { background: var(--accent-hover); border-color: var(--accent-hover); }
.button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
.button:disabled { opacity: 0.5; cursor: not-allowed; }

.toolbar { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 8px; margin-bottom: 10px; }
.toolbar-group { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
.toggle { display: inline-flex; align-items: center; gap: 6px; cursor: pointer; user-select: none; }

.confirm { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; padding: 10px 14px; margin-bottom: 10px; border-radius: var(--radius); background: var(--warn-bg); color: var(--warn-fg); border: 1px solid color-mix(in srgb, var(--warn-fg) 30%, transparent); }
.confirm span { flex: 1 1 260px; }
.alert { padding: 10px 14px; margin-bottom: 10px; border-radius: var(--radius); background: var(--bad-bg); color: var(--bad-fg); }
.note { margin: 0 0 8px; padding: 8px 12px; border-radius: var(--radius); background: var(--info-bg); color: var(--info-fg); }

/* ── tables ── */
.table-wrap { overflow-x: auto; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); }
.grid { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
/* Wide tables scroll sideways on small screens instead of squeezing their rows. */
table[aria-label="Incoming webhook events"] { min-width: 1080px; }
table[aria-label="Inbound requests"] { min-width: 900px; }
.grid th, .grid td { padding: 8px 12px; text-align: left; vertical-align: middle; border-bottom: 1px solid var(--border); }
.grid thead th { position: sticky; top: 0; background: var(--surface-2); font-size: 12px; font-weight: 600; color: var(--muted); white-space: nowrap; }
.grid tbody tr:last-child > * { border-bottom: 0; }
.grid tbody tr:hover { background: var(--row-hover); }
.grid tbody tr[data-id] { cursor: pointer; }
.grid tbody tr.selected { background: var(--row-selected); }
.grid .num { text-align: right; white-space: nowrap; }
.grid .select { width: 36px; padding-right: 0; }
.grid td.error { max-width: 320px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--bad-fg); }
.grid td.error .muted { color: var(--muted); }
.grid td.wrap, .grid td.error.wrap { white-space: normal; overflow-wrap: anywhere; max-width: none; }
.grid td.entity { min-width: 200px; max-width: 300px; overflow-wrap: anywhere; }
.grid.kv th { width: 30%; color: var(--muted); font-weight: 500; background: transparent; position: static; font-size: 12.5px; }
.empty { padding: 28px; text-align: center; color: var(--muted); background: var(--surface); border: 1px dashed var(--border); border-radius: var(--radius); margin: 10px 0; }
.more { display: flex; justify-content: center; margin: 14px 0; }
.loading { padding: 20px 0; }

/* ── badges ── */
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; line-height: 18px; white-space: nowrap; background: var(--idle-bg); color: var(--idle-fg); }
.badge::before { content: ""; display: inline-block; width: 6px; height: 6px; border-radius: 50%; background: currentColor; margin-right: 6px; vertical-align: 1px; }
.badge-succeeded, .badge-processed, .badge-accepted { background: var(--ok-bg); color: var(--ok-fg); }
.badge-failed, .badge-rejected { background: var(--bad-bg); color: var(--bad-fg); }
.badge-retrying, .badge-unparseable, .badge-rate_limited { background: var(--warn-bg); color: var(--warn-fg); }
.badge-queued { background: var(--info-bg); color: var(--info-fg); }
.badge-processing { background: var(--busy-bg); color: var(--busy-fg); }
.badge-stale, .badge-duplicate, .badge-unknown { background: var(--idle-bg); color: var(--idle-fg); }

/* ── tabs ── */
.tabs { display: flex; gap: 2px; border-bottom: 1px solid var(--border); margin-bottom: 16px; overflow-x: auto; }
.tab { font: inherit; font-weight: 550; color: var(--muted); background: none; border: 0; border-bottom: 2px solid transparent; padding: 8px 14px; margin-bottom: -1px; cursor: pointer; display: inline-flex; align-items: center; gap: 6px; white-space: nowrap; }
.tab:hover { color: var(--text); }
.tab[aria-selected="true"] { color: var(--text); border-bottom-color: var(--accent); }
.tab-count { font-size: 11px; background: var(--surface-2); border-radius: 999px; padding: 0 7px; color: var(--muted); }
.panel:focus-visible { outline-offset: 4px; }

/* ── details ── */
.details { display: grid; grid-template-columns: minmax(140px, max-content) 1fr; gap: 0; margin: 0; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); }
.details dt, .details dd { padding: 8px 14px; border-bottom: 1px solid var(--border); margin: 0; min-width: 0; }
.details dt { color: var(--muted); font-weight: 500; }
.details dd { overflow-wrap: anywhere; }
.details dt:nth-last-of-type(1), .details dd:last-of-type { border-bottom: 0; }
.error-text { color: var(--bad-fg); }
.detail-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); gap: 16px; align-items: start; }
.detail-card h2 { margin: 0 0 8px; }
.code { margin: 0; padding: 12px 14px; background: var(--code-bg); border: 1px solid var(--border); border-radius: var(--radius); font: 12.5px/1.55 var(--mono); overflow: auto; max-height: 60vh; white-space: pre-wrap; overflow-wrap: anywhere; }
.section { margin-top: 8px; }
.section > .table-wrap { margin-top: 8px; }
.http-status { font-family: var(--mono); font-weight: 650; display: inline-block; padding: 2px 8px; border-radius: var(--radius); background: var(--idle-bg); color: var(--idle-fg); }
.http-2xx { background: var(--ok-bg); color: var(--ok-fg); }
.http-4xx, .http-5xx { background: var(--bad-bg); color: var(--bad-fg); }
.response > p { margin: 0; }

/* ── settings ── */
.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); padding: 16px; margin: 0 0 16px; }
.card h2 { margin: 0 0 4px; }
.section-title { margin: 24px 0 10px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 16px; }
.mode-card { min-width: 0; }
.mode-card legend { padding: 0 6px; font-weight: 650; }
.mode-card[disabled] { opacity: 0.75; }
.mode-options { display: grid; gap: 8px; }
.mode-option { display: flex; gap: 10px; align-items: flex-start; padding: 10px; border: 1px solid var(--border); border-radius: var(--radius); }
.mode-option:has(input:checked) { border-color: var(--accent); background: var(--row-selected); }
.mode-option input { margin-top: 3px; }
.mode-option label { display: flex; flex-direction: column; gap: 2px; cursor: pointer; flex: 1; }
.help { color: var(--muted); font-size: 13px; margin: 0; }
.service-row { display: flex; justify-content: space-between; align-items: center; gap: 16px; flex-wrap: wrap; }
.switch { display: inline-flex; align-items: center; gap: 10px; font: inherit; font-weight: 600; background: none; border: 0; padding: 4px; cursor: pointer; color: var(--text); }
.switch:disabled { cursor: not-allowed; opacity: 0.6; }
.switch-track { width: 40px; height: 22px; border-radius: 999px; background: var(--border); position: relative; transition: background 0.15s; }
.switch-thumb { position: absolute; top: 3px; left: 3px; width: 16px; height: 16px; border-radius: 50%; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.3); transition: transform 0.15s; }
.switch[aria-checked="true"] .switch-track { background: var(--accent); }
.switch[aria-checked="true"] .switch-thumb { transform: translateX(18px); }

/* ── toast ── */
.toast-region { position: fixed; right: 16px; bottom: 16px; z-index: 20; max-width: min(440px, calc(100vw - 32px)); }
.toast { background: var(--text); color: var(--bg); padding: 10px 14px; border-radius: var(--radius); box-shadow: 0 4px 16px rgba(0,0,0,.2); }
.toast-error { background: var(--danger); color: #fff; }

@media (max-width: 720px) {
  main { padding: 12px; }
  .topbar-inner { padding: 8px 12px; gap: 8px 16px; }
  .summary { margin-left: 0; }
  .details { grid-template-columns: 1fr; }
  .details dt { border-bottom: 0; padding-bottom: 0; }
  .cards { grid-template-columns: 1fr; }
}
@media (prefers-reduced-motion: reduce) {
  * { transition: none !important; }
}
`;
