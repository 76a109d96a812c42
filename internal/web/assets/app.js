// Wallboard, charts and reports of connect-reporting. Vanilla JavaScript
// and the vendored uPlot, no build step. Every value from the server is put
// in the page with textContent or as an attribute value, never parsed as
// HTML. Every figure comes from the server (the KPI views); the page only
// formats it.
'use strict';

(function () {
  // Data older than this is stale: 5 minutes, or a minute of wall clock on
  // a simulated clock that runs faster (the demo's pollers run on the wall
  // clock, so their data is minutes old in simulated time).
  const staleSeconds = () => Math.max(300, 60 * (state.config ? state.config.clock_rate : 1));
  const CHART_EVERY = 6; // charts, agent figures and timeline: every 6th wallboard refresh
  const state = {
    config: null,
    tz: null,
    sl: null,
    wallboard: null,
    fetchedAt: 0, // Date.now() when the wallboard arrived
    timer: null,
    refreshes: 0,
    lastReport: null,
    agentDays: {}, // agent_id -> today's kpi_agent_day row
    charts: {},
    chartQueue: '',
  };

  // ---- helpers ----------------------------------------------------------

  function $(id) { return document.getElementById(id); }

  // el builds an element: attrs are set as attributes (class, data-*, …),
  // children are nodes or strings (as text).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined && v !== false) e.setAttribute(k, String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function apiURL(path, params) {
    const u = new URL(path, document.baseURI);
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== '' && v !== null && v !== undefined) u.searchParams.set(k, v);
    }
    return u;
  }

  function api(path, params) {
    return fetch(apiURL(path, params), { headers: { Accept: 'application/json' }, cache: 'no-store' }).then(async (r) => {
      let body = null;
      try { body = await r.json(); } catch (e) { /* not JSON */ }
      if (!r.ok) throw new Error((body && body.error) || ('HTTP ' + r.status));
      return body;
    });
  }

  // common parameters of every request: zone and threshold
  function common(extra) { return Object.assign({ tz: state.tz, sl: state.sl }, extra || {}); }
  function csvHref(path, params) { return apiURL(path, Object.assign(common(params), { format: 'csv' })).toString(); }

  const intFmt = new Intl.NumberFormat('en');
  const none = (v) => v === null || v === undefined || (typeof v === 'number' && isNaN(v));
  function fmtInt(n) { return none(n) ? '–' : intFmt.format(Math.round(n)); }
  function fmtPct(v) { return none(v) ? '–' : v.toFixed(1) + '%'; }
  function fmtDur(sec) {
    if (none(sec)) return '–';
    sec = Math.max(0, Math.round(sec));
    const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
    const pad = (x) => String(x).padStart(2, '0');
    return h > 0 ? h + ':' + pad(m) + ':' + pad(s) : m + ':' + pad(s);
  }
  function fmtTime(iso) {
    if (!iso) return '–';
    try {
      return new Intl.DateTimeFormat('en-GB', { timeZone: state.tz, hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
    } catch (e) { return iso; }
  }
  function fmtDateTime(iso) {
    if (!iso) return '–';
    try {
      return new Intl.DateTimeFormat('en-GB', { timeZone: state.tz, dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(iso));
    } catch (e) { return iso; }
  }
  // fmtLocal turns "2026-03-29T02:00:00+01:00" into "2026-03-29 02:00 +01:00".
  function fmtLocal(s) {
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):\d{2}(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s || '');
    if (!m) return s || '';
    return m[1] + ' ' + m[2] + ' ' + (m[3] === 'Z' ? '+00:00' : m[3]);
  }
  // serverNow estimates the server's clock (simulated in the demo, where it
  // runs clock_rate times faster) from the last wallboard.
  function serverNow() {
    const rate = state.config ? state.config.clock_rate : 1;
    if (!state.wallboard) return state.config ? Date.parse(state.config.now) : Date.now();
    return Date.parse(state.wallboard.generated_at) + (Date.now() - state.fetchedAt) * rate;
  }
  function ageSeconds(iso) { return iso ? (serverNow() - Date.parse(iso)) / 1000 : null; }
  function ago(iso) {
    const a = ageSeconds(iso);
    return a === null ? 'never' : fmtTime(iso) + ' (' + fmtDur(a) + ' ago)';
  }
  function addDays(date, n) {
    const d = new Date(date + 'T12:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  // dayStart is about the first instant of a local date (for chart ranges).
  function dayStart(date) { return date + 'T00:00:00Z'; }

  function setStatus(kind, text) {
    const s = $('status');
    s.dataset.state = kind;
    s.textContent = text;
  }

  // ---- wallboard --------------------------------------------------------

  function cell(col, value, cls) {
    return el('td', { 'data-col': col, 'data-label': LABELS[col] || null, class: cls || null }, value);
  }
  function numCell(col, value, extra) {
    return cell(col, value, 'num' + (extra ? ' ' + extra : ''));
  }
  function oldestClass(v) { return none(v) ? null : v >= 180 ? 'bad' : v >= 60 ? 'warn' : null; }
  function slClass(v) { return none(v) ? null : v < 60 ? 'bad' : v < 80 ? 'warn' : 'good'; }

  const LABELS = {
    channel: 'Channel', in_queue: 'In queue', oldest: 'Oldest', online: 'Online', available: 'Available',
    on_contact: 'On contact', acw: 'ACW', offered: 'Offered', answered: 'Answered', abandoned: 'Abandoned',
    abandon_rate: 'Aband. %', sl: 'SL', aht: 'AHT', asa: 'Avg answer', max_queue: 'Max queued',
    transfers: 'Transfers', callbacks: 'Callbacks',
  };

  // figureCells are the contact-record columns of a queue row or the total.
  function figureCells(t) {
    return [
      numCell('offered', fmtInt(t.contacts_queued)),
      numCell('answered', fmtInt(t.contacts_answered)),
      numCell('abandoned', fmtInt(t.contacts_abandoned)),
      numCell('abandon_rate', fmtPct(t.abandonment_rate_pct)),
      numCell('sl', fmtPct(t.service_level_pct), slClass(t.service_level_pct)),
      numCell('aht', fmtDur(t.avg_handle_seconds)),
      numCell('asa', fmtDur(t.avg_answer_seconds)),
      numCell('max_queue', fmtDur(t.max_queue_seconds)),
      numCell('transfers', fmtInt(t.transferred_out)),
      numCell('callbacks', fmtInt(t.callbacks)),
    ];
  }

  function renderQueues(wb) {
    const body = $('queues-body');
    clear(body);
    const table = $('queues');
    const oldFoot = table.querySelector('tfoot');
    if (oldFoot) oldFoot.remove();
    if (!wb.queues.length) {
      body.append(el('tr', {}, el('td', { colspan: 18, class: 'empty' }, 'No queue data yet.')));
      return;
    }
    for (const q of wb.queues) {
      body.append(el('tr', { 'data-queue': q.queue_id, 'data-channel': q.channel },
        el('th', { scope: 'row', 'data-col': 'queue' }, q.queue_name),
        cell('channel', q.channel),
        numCell('in_queue', fmtInt(q.contacts_in_queue)),
        numCell('oldest', fmtDur(q.oldest_contact_age_seconds), oldestClass(q.oldest_contact_age_seconds)),
        numCell('online', fmtInt(q.agents_online)),
        numCell('available', fmtInt(q.agents_available)),
        numCell('on_contact', fmtInt(q.agents_on_contact)),
        numCell('acw', fmtInt(q.agents_after_contact_work)),
        ...figureCells(q.today)));
    }
    const n = wb.now;
    table.append(el('tfoot', {}, el('tr', { 'data-queue': 'total' },
      el('th', { scope: 'row', 'data-col': 'queue' }, 'Total'), cell('channel', ''),
      numCell('in_queue', fmtInt(n.contacts_in_queue)), numCell('oldest', fmtDur(n.oldest_contact_age_seconds)),
      cell('online', ''), cell('available', ''), cell('on_contact', ''), cell('acw', ''),
      ...figureCells(wb.total))));
  }

  function effectiveStatus(a) {
    if (a.status_name) return { name: a.status_name, type: a.status_type, since: a.status_since };
    if (a.snapshot) return { name: a.snapshot.status_name, type: '', since: a.snapshot.status_since };
    return { name: 'Unknown', type: '', since: null };
  }

  function renderAgents(wb) {
    const body = $('agents-body');
    clear(body);
    const showOffline = $('show-offline').checked;
    let shown = 0;
    for (const a of wb.agents) {
      const st = effectiveStatus(a);
      const offline = st.type === 'OFFLINE';
      if (offline && !showOffline) continue;
      shown++;
      const contacts = a.status_name ? a.contact_count : (a.snapshot ? a.snapshot.contact_count : 0);
      const badge = contacts > 0 && !offline ? 'oncontact' : (st.type || '').toLowerCase();
      const who = el('th', { scope: 'row', 'data-col': 'agent' }, a.username);
      const full = [a.first_name, a.last_name].filter(Boolean).join(' ');
      if (full) who.append(' ', el('span', { class: 'muted' }, full));
      const day = state.agentDays[a.agent_id] || {};
      body.append(el('tr', { 'data-agent': a.agent_id },
        who,
        el('td', { 'data-col': 'status' }, el('span', { class: 'badge ' + badge }, st.name)),
        numCell('since', st.since ? fmtDur(ageSeconds(st.since)) : '–'),
        numCell('contacts', fmtInt(contacts)),
        numCell('handled', fmtInt(day.contacts_handled)),
        numCell('agent_aht', fmtDur(day.avg_handle_seconds)),
        numCell('occupancy', fmtPct(day.occupancy_pct)),
        cell('routing_profile', a.routing_profile || '–')));
    }
    if (!shown) {
      body.append(el('tr', {}, el('td', { colspan: 8, class: 'empty' }, wb.agents.length ? 'No agents logged in.' : 'No agent data yet.')));
    }
    $('agents-count').textContent = fmtInt(wb.now.agents_online) + ' logged in';
  }

  function renderTiles(wb) {
    const n = wb.now, t = wb.total;
    $('t-inqueue').textContent = fmtInt(n.contacts_in_queue);
    $('t-oldest').textContent = fmtDur(n.oldest_contact_age_seconds);
    $('t-online').textContent = fmtInt(n.agents_online);
    $('t-available').textContent = fmtInt(n.agents_available);
    $('t-oncontact').textContent = fmtInt(n.agents_on_contact);
    $('t-other').textContent = fmtInt(n.agents_other);
    $('today-day').textContent = wb.day + ' (' + wb.time_zone + ')';
    $('t-offered').textContent = fmtInt(t.contacts_queued);
    $('t-answered').textContent = fmtInt(t.contacts_answered);
    $('t-abandoned').textContent = fmtInt(t.contacts_abandoned);
    $('t-abandon-rate').textContent = fmtPct(t.abandonment_rate_pct);
    $('t-sl').textContent = fmtPct(t.service_level_pct);
    $('t-sl-threshold').textContent = '(< ' + wb.service_level_seconds + ' s)';
    $('t-aht').textContent = fmtDur(t.avg_handle_seconds);
    $('t-asa').textContent = fmtDur(t.avg_answer_seconds);
    $('t-avg-acw').textContent = fmtDur(t.avg_acw_seconds);
    $('t-hold').textContent = fmtDur(t.avg_hold_seconds);
    $('t-maxq').textContent = fmtDur(t.max_queue_seconds);
    $('t-transfers').textContent = fmtInt(t.transferred_out);
    $('t-callbacks').textContent = fmtInt(t.callbacks);
  }

  function healthRow(dl, label, value, cls) {
    dl.append(el('dt', {}, label), el('dd', { class: cls || null }, value));
  }

  function renderHealth(h) {
    const dl = $('health');
    clear(dl);
    const staleCls = (iso) => (iso && ageSeconds(iso) > staleSeconds() ? 'stale' : null);
    healthRow(dl, 'Database', h.dialect);
    healthRow(dl, 'Last agent event', ago(h.last_agent_event), staleCls(h.last_agent_event));
    healthRow(dl, 'Last contact started', ago(h.last_contact), staleCls(h.last_contact));
    healthRow(dl, 'Last queue snapshot', ago(h.last_queue_snapshot), staleCls(h.last_queue_snapshot));
    healthRow(dl, 'Last agent snapshot', ago(h.last_agent_snapshot), staleCls(h.last_agent_snapshot));
    healthRow(dl, 'Newest historical interval', h.last_interval_metric ? fmtDateTime(h.last_interval_metric) : 'none');
    for (const c of h.poll_checkpoints) {
      healthRow(dl, 'Poller ' + c.poller + ' / ' + c.scope, 'at ' + fmtDateTime(c.watermark) + ', updated ' + ago(c.updated_at));
    }
    for (const c of h.stream_checkpoints) {
      healthRow(dl, 'Stream ' + c.stream + ' / ' + c.shard_id, 'updated ' + ago(c.updated_at), staleCls(c.updated_at));
    }
    healthRow(dl, 'Rejected records (24 h)', fmtInt(h.rejected_last_24h) + (h.last_rejected ? ', last ' + ago(h.last_rejected) : ''),
      h.rejected_last_24h > 0 ? 'bad' : null);
  }

  function renderStatus(wb) {
    const h = wb.health;
    const newest = [h.last_agent_event, h.last_contact, h.last_queue_snapshot, h.last_agent_snapshot]
      .filter(Boolean).map((s) => Date.parse(s));
    const sim = state.config.simulated ? ' (simulated clock)' : '';
    const updated = 'updated ' + fmtTime(wb.generated_at) + sim;
    if (!newest.length) {
      setStatus('stale', 'No data yet · ' + updated);
    } else {
      const age = (serverNow() - Math.max(...newest)) / 1000;
      if (age > staleSeconds()) setStatus('stale', 'Stale: no new data for ' + fmtDur(age) + ' · ' + updated);
      else setStatus('live', 'Live · ' + updated);
    }
  }

  function render() {
    const wb = state.wallboard;
    if (!wb) return;
    renderTiles(wb);
    renderQueues(wb);
    renderAgents(wb);
    renderHealth(wb.health);
    renderStatus(wb);
    fillChartQueues(wb);
    // The laid-out widths, for the narrow-screen test: nothing may be wider
    // than the page.
    document.body.dataset.pageWidth = document.documentElement.scrollWidth;
    document.body.dataset.queuesWidth = $('queues').scrollWidth;
    document.body.dataset.viewportWidth = document.documentElement.clientWidth;
  }

  function refresh() {
    clearTimeout(state.timer);
    return api('api/wallboard', common()).then((wb) => {
      state.wallboard = wb;
      state.fetchedAt = Date.now();
      render();
      if (state.refreshes++ % CHART_EVERY === 0) refreshDay();
    }).catch((err) => {
      setStatus('error', 'Cannot load the wallboard: ' + err.message);
    }).finally(() => {
      state.timer = setTimeout(refresh, (state.config ? state.config.refresh_seconds : 5) * 1000);
    });
  }

  function tick() {
    try {
      $('clock').textContent = new Intl.DateTimeFormat('en-GB', { timeZone: state.tz, hour: '2-digit', minute: '2-digit', second: '2-digit' })
        .format(new Date(serverNow()));
    } catch (e) { /* unknown zone in this browser */ }
  }

  // ---- today's charts, agent figures and timeline -------------------------

  function today() { return state.wallboard ? state.wallboard.day : state.config.today; }

  function refreshDay() {
    const day = today();
    $('agents-csv').href = csvHref('api/reports/agent-days', { from: day, to: day });
    $('timeline-csv').href = csvHref('api/reports/agent-timeline', { from: day, to: day });
    api('api/reports/agent-days', common({ from: day, to: day })).then((res) => {
      state.agentDays = {};
      for (const r of res.rows) state.agentDays[r.agent_id] = r;
      if (state.wallboard) renderAgents(state.wallboard);
    }).catch((err) => setStatus('error', 'Cannot load the agent figures: ' + err.message));
    api('api/reports/agent-timeline', common({ from: day, to: day })).then((res) => renderTimeline(res))
      .catch((err) => setStatus('error', 'Cannot load the agent timeline: ' + err.message));
    drawCharts();
  }

  function queueKey(r) { return r.queue_id + '|' + r.channel; }

  function fillChartQueues(wb) {
    const sel = $('chart-queue');
    const keys = wb.queues.map((q) => [queueKey(q), q.queue_name + ' · ' + q.channel]);
    const have = [...sel.options].map((o) => o.value).join(',');
    if (have === keys.map((k) => k[0]).join(',')) return;
    clear(sel);
    for (const [k, label] of keys) sel.append(el('option', { value: k }, label));
    if (keys.some((k) => k[0] === state.chartQueue)) sel.value = state.chartQueue;
    else if (keys.length) { state.chartQueue = keys[0][0]; sel.value = state.chartQueue; drawCharts(); }
  }

  function chartWidth(box) { return Math.max(280, Math.min(box.clientWidth || 600, 1400)); }

  function plot(name, box, opts, data) {
    if (typeof uPlot !== 'function') return;
    if (state.charts[name]) state.charts[name].destroy();
    clear(box);
    opts.width = chartWidth(box);
    opts.height = 260;
    opts.tzDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), state.tz);
    state.charts[name] = new uPlot(opts, data, box);
  }

  // chartTable writes the chart's numbers as a table too (screen readers,
  // and the browser test reads them).
  function chartTable(box, caption, cols, rows) {
    const t = el('table', { class: 'data chart-data' }, el('caption', { class: 'sr-only' }, caption));
    t.append(el('thead', {}, el('tr', {}, ...cols.map((c) => el('th', { scope: 'col' }, c)))));
    const tb = el('tbody');
    for (const r of rows) tb.append(el('tr', {}, ...r.map((v) => el('td', {}, v))));
    t.append(tb);
    const d = el('details', {}, el('summary', {}, 'Figures'), t);
    box.append(d);
  }

  const axisStyle = { stroke: '#a9b4be', grid: { stroke: '#2c3640' }, ticks: { stroke: '#2c3640' } };

  function drawCharts() {
    if (!state.chartQueue || !state.config) return;
    const [queue, channel] = state.chartQueue.split('|');
    const day = today();
    const params = { from: day, to: day, period: '15' };
    $('intraday-csv').href = csvHref('api/reports/queue-intervals', params);
    api('api/reports/queue-intervals', common(params)).then((res) => {
      const rows = res.rows.filter((r) => r.queue_id === queue && r.channel === channel);
      const x = rows.map((r) => Date.parse(r.interval_start) / 1000);
      const bars = uPlot.paths.bars({ size: [0.8, 40] });
      const box = $('chart-intraday');
      plot('intraday', box, {
        scales: { x: { time: true, range: [Date.parse(res.from) / 1000, Date.parse(res.to) / 1000] }, pct: { range: [0, 100] } },
        series: [{},
          { label: 'Offered', stroke: '#5cc8ff', fill: 'rgba(92,200,255,.35)', paths: bars },
          { label: 'Answered', stroke: '#4ade80', fill: 'rgba(74,222,128,.35)', paths: bars },
          { label: 'Abandoned', stroke: '#f87171', fill: 'rgba(248,113,113,.45)', paths: bars },
          { label: 'Service level %', stroke: '#fbbf24', width: 2, scale: 'pct', spanGaps: true }],
        axes: [axisStyle, Object.assign({ label: 'contacts' }, axisStyle), Object.assign({ side: 1, scale: 'pct', label: '%' }, axisStyle)],
      }, [x, rows.map((r) => r.contacts_queued), rows.map((r) => r.contacts_answered), rows.map((r) => r.contacts_abandoned),
        rows.map((r) => r.service_level_pct)]);
      chartTable(box, 'Today per 15 minutes', ['Interval', 'Offered', 'Answered', 'Abandoned', 'SL'],
        rows.map((r) => [fmtLocal(r.local), fmtInt(r.contacts_queued), fmtInt(r.contacts_answered), fmtInt(r.contacts_abandoned), fmtPct(r.service_level_pct)]));
    }).catch((err) => setStatus('error', 'Cannot load the intraday chart: ' + err.message));
    const days = { from: addDays(day, -13), to: day, period: 'day' };
    $('days-csv').href = csvHref('api/reports/queue-intervals', days);
    api('api/reports/queue-intervals', common(days)).then((res) => {
      const rows = res.rows.filter((r) => r.queue_id === queue && r.channel === channel);
      const box = $('chart-days');
      const x0 = Date.parse(dayStart(days.from)) / 1000, x1 = Date.parse(dayStart(day)) / 1000 + 86400;
      plot('days', box, {
        scales: { x: { time: true, range: [x0, x1] }, pct: { range: [0, 100] }, s: {} },
        series: [{},
          { label: 'Service level %', stroke: '#fbbf24', width: 2, scale: 'pct', points: { show: true } },
          { label: 'Avg handle time (s)', stroke: '#5cc8ff', width: 2, scale: 's', points: { show: true } }],
        axes: [axisStyle, Object.assign({ scale: 'pct', label: '%' }, axisStyle), Object.assign({ side: 1, scale: 's', label: 'seconds' }, axisStyle)],
      }, [rows.map((r) => Date.parse(r.interval_start) / 1000), rows.map((r) => r.service_level_pct), rows.map((r) => r.avg_handle_seconds)]);
      chartTable(box, 'Per day', ['Day', 'SL', 'AHT'], rows.map((r) => [r.local_date, fmtPct(r.service_level_pct), fmtDur(r.avg_handle_seconds)]));
    }).catch((err) => setStatus('error', 'Cannot load the daily chart: ' + err.message));
  }

  // renderTimeline draws one row per agent: each status interval of the
  // day is a block placed by its share of the day (CSSOM, no inline style
  // attributes, so the CSP holds).
  function renderTimeline(res) {
    const box = $('timeline');
    clear(box);
    const from = Date.parse(res.from), to = Date.parse(res.to);
    const span = to - from;
    const byAgent = new Map();
    for (const r of res.rows) {
      if (!byAgent.has(r.agent_id)) byAgent.set(r.agent_id, { name: r.username, rows: [] });
      byAgent.get(r.agent_id).rows.push(r);
    }
    if (!byAgent.size) { box.append(el('p', { class: 'muted' }, 'No agent statuses today.')); return; }
    const axis = el('div', { class: 'tl-row tl-axis' }, el('span', { class: 'tl-name' }, ''));
    const track = el('div', { class: 'tl-track' });
    for (let h = 0; h <= 24; h += 3) {
      const t = from + h * 3600e3;
      if (t > to) break;
      const tick = el('span', { class: 'tl-tick' }, String(h).padStart(2, '0') + ':00');
      tick.style.left = (100 * (t - from) / span) + '%';
      track.append(tick);
    }
    axis.append(track);
    box.append(axis);
    const types = new Set();
    for (const [id, a] of byAgent) {
      const tr = el('div', { class: 'tl-track' });
      for (const r of a.rows) {
        const s = Math.max(Date.parse(r.start), from), e = Math.min(Date.parse(r.end), to);
        if (e <= s) continue;
        const type = (r.status_type || 'unknown').toLowerCase();
        types.add(type);
        const seg = el('span', { class: 'tl-seg ' + type, title: r.status_name + ' ' + fmtTime(r.start) + '–' + fmtTime(r.end) + (r.open ? ' (open)' : '') });
        seg.style.left = (100 * (s - from) / span) + '%';
        seg.style.width = (100 * (e - s) / span) + '%';
        tr.append(seg);
      }
      box.append(el('div', { class: 'tl-row', 'data-agent': id }, el('span', { class: 'tl-name' }, a.name), tr));
    }
    const legend = $('timeline-legend');
    clear(legend);
    const names = { routable: 'Available (routable)', custom: 'Custom status (break, lunch, …)', offline: 'Offline', unknown: 'Unknown' };
    for (const t of types) legend.append(el('li', {}, el('span', { class: 'tl-seg ' + t }), ' ' + (names[t] || t)));
  }

  // ---- reports ----------------------------------------------------------

  const figureCols = ['Offered', 'Answered', 'Abandoned', 'Aband. %', 'SL', 'AHT', 'Avg answer', 'Avg ACW', 'Avg hold', 'Max queued', 'Transfers', 'Callbacks'];
  const figureRow = (r) => [fmtInt(r.contacts_queued), fmtInt(r.contacts_answered), fmtInt(r.contacts_abandoned), fmtPct(r.abandonment_rate_pct),
    fmtPct(r.service_level_pct), fmtDur(r.avg_handle_seconds), fmtDur(r.avg_answer_seconds), fmtDur(r.avg_acw_seconds), fmtDur(r.avg_hold_seconds),
    fmtDur(r.max_queue_seconds), fmtInt(r.transferred_out), fmtInt(r.callbacks)];

  const REPORTS = {
    'queue-intervals': {
      title: 'Queues per interval (completed contacts)',
      cols: ['Interval', 'Queue', 'Channel', ...figureCols],
      num: 3,
      row: (r) => [fmtLocal(r.local), r.queue_name, r.channel, ...figureRow(r)],
    },
    'interval-metrics': {
      title: "Connect's historical metrics per interval",
      cols: ['Interval', 'Queue', 'Channel', 'Queued', 'Handled', 'Abandoned', 'Aband. %', 'SL 20 s', 'AHT', 'Avg answer', 'Max queued'],
      num: 3,
      row: (r) => {
        const m = r.metrics;
        return [fmtLocal(r.local), r.queue_name, r.channel, fmtInt(m.contacts_queued), fmtInt(m.contacts_handled), fmtInt(m.contacts_abandoned),
          fmtPct(m.abandonment_rate_pct), fmtPct(m.service_level_20_pct), fmtDur(m.avg_handle_seconds), fmtDur(m.avg_answer_seconds), fmtDur(m.max_queue_seconds)];
      },
    },
    'agent-days': {
      title: 'Agents per day',
      cols: ['Day', 'Agent', 'Handled', 'AHT', 'Talk', 'Hold', 'ACW', 'Online', 'Available', 'Occupancy'],
      num: 2,
      days: true,
      row: (r) => [r.local_date, r.username, fmtInt(r.contacts_handled), fmtDur(r.avg_handle_seconds), fmtDur(r.talk_seconds), fmtDur(r.hold_seconds),
        fmtDur(r.acw_seconds), fmtDur(r.online_seconds), fmtDur(r.available_seconds), fmtPct(r.occupancy_pct)],
    },
    'agent-status': {
      title: 'Time in status per agent and day',
      cols: ['Day', 'Agent', 'Status', 'Type', 'Time'],
      num: 4,
      days: true,
      row: (r) => [r.local_date, r.username, r.status_name, r.status_type, fmtDur(r.seconds)],
    },
    'agent-timeline': {
      title: 'Agent status intervals',
      cols: ['Agent', 'Status', 'Type', 'From', 'To', 'Time'],
      num: 5,
      days: true,
      row: (r) => [r.username, r.status_name, r.status_type, fmtDateTime(r.start), fmtDateTime(r.end) + (r.open ? ' (open)' : ''),
        fmtDur((Date.parse(r.end) - Date.parse(r.start)) / 1000)],
    },
  };

  function reportParams() {
    const kind = $('r-kind').value;
    const params = { from: $('r-from').value, to: $('r-to').value };
    if (!REPORTS[kind].days) params.period = $('r-period').value;
    return params;
  }

  function updateReportCSV() {
    $('report-csv').href = csvHref('api/reports/' + $('r-kind').value, reportParams());
  }

  function runReport(ev) {
    if (ev) ev.preventDefault();
    const kind = $('r-kind').value;
    const def = REPORTS[kind];
    const params = reportParams();
    state.lastReport = kind;
    // Bookmarkable: the report's parameters go in the address.
    const u = new URL(window.location.href);
    u.searchParams.set('report', kind);
    for (const k of ['from', 'to', 'period']) {
      if (params[k]) u.searchParams.set(k, params[k]); else u.searchParams.delete(k);
    }
    window.history.replaceState(null, '', u);
    updateReportCSV();
    $('report-status').textContent = 'Loading…';
    return api('api/reports/' + kind, common(params)).then((res) => {
      const head = $('report-head'), body = $('report-body');
      clear(head);
      clear(body);
      $('report-caption').textContent = def.title;
      head.append(el('tr', {}, ...def.cols.map((c, i) => el('th', { scope: 'col', class: i >= def.num ? 'num' : null }, c))));
      for (const r of res.rows) {
        body.append(el('tr', {}, ...def.row(r).map((v, i) => el('td', { class: i >= def.num ? 'num' : null }, v))));
      }
      if (!res.rows.length) body.append(el('tr', {}, el('td', { colspan: def.cols.length, class: 'empty' }, 'No data in this range.')));
      $('report-status').textContent = def.title + ', ' + res.rows.length + ' rows, ' + res.time_zone + ', service level < ' + res.service_level_seconds + ' s.';
    }).catch((err) => {
      $('report-status').textContent = 'Report failed: ' + err.message;
    });
  }

  // ---- set-up -----------------------------------------------------------

  function setParam(name, value, dflt) {
    const u = new URL(window.location.href);
    if (String(value) === String(dflt)) u.searchParams.delete(name); else u.searchParams.set(name, value);
    window.history.replaceState(null, '', u);
  }

  function reloadAll() {
    state.refreshes = 0;
    refresh();
    if (state.lastReport) runReport(); else updateReportCSV();
  }

  function initControls(cfg, p) {
    const sel = $('tz');
    for (const z of cfg.time_zones) sel.append(el('option', { value: z }, z === cfg.time_zone ? z + ' (default)' : z));
    sel.value = state.tz;
    sel.addEventListener('change', () => { state.tz = sel.value; setParam('tz', state.tz, cfg.time_zone); reloadAll(); });
    const sl = $('sl');
    sl.value = state.sl;
    sl.addEventListener('change', () => {
      const v = parseInt(sl.value, 10);
      if (!(v >= 1 && v <= 3600)) { sl.value = state.sl; return; }
      state.sl = v;
      setParam('sl', v, cfg.service_level_seconds);
      reloadAll();
    });
    $('chart-queue').addEventListener('change', () => { state.chartQueue = $('chart-queue').value; drawCharts(); });
    if (cfg.simulated) {
      const b = $('sim-badge');
      b.hidden = false;
      b.textContent = 'Simulated clock ×' + cfg.clock_rate;
    }
    $('r-from').value = p.get('from') || cfg.today;
    $('r-to').value = p.get('to') || p.get('from') || cfg.today;
    for (const id of ['r-from', 'r-to']) $(id).max = cfg.today; // no days the data has not reached
    if (p.get('period')) $('r-period').value = p.get('period');
    const periodOff = () => { $('r-period').disabled = !!REPORTS[$('r-kind').value].days; updateReportCSV(); };
    for (const id of ['r-kind', 'r-from', 'r-to', 'r-period']) $(id).addEventListener('change', periodOff);
    $('report-form').addEventListener('submit', runReport);
    if (REPORTS[p.get('report')]) $('r-kind').value = p.get('report');
    periodOff();
    if (REPORTS[p.get('report')]) runReport();
    $('show-offline').addEventListener('change', render);
    let resizeTimer = null;
    window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawCharts, 250); });
  }

  function init() {
    api('api/config').then((cfg) => {
      state.config = cfg;
      const p = new URL(window.location.href).searchParams;
      state.tz = cfg.time_zones.includes(p.get('tz')) ? p.get('tz') : cfg.time_zone;
      const sl = parseInt(p.get('sl') || '', 10);
      state.sl = sl >= 1 && sl <= 3600 ? sl : cfg.service_level_seconds;
      initControls(cfg, p);
      refresh();
      tick();
      setInterval(tick, 1000);
    }).catch((err) => setStatus('error', 'Cannot reach the dashboard: ' + err.message));
  }

  document.addEventListener('DOMContentLoaded', init);
})();
