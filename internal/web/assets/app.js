// Wallboard and reports of connect-reporting. Vanilla JavaScript, no build
// step. Every value from the server is put in the page with textContent or
// as an attribute value, never parsed as HTML.
'use strict';

(function () {
  const STALE_SECONDS = 300;
  const state = {
    config: null,
    tz: null,
    wallboard: null,
    fetchedAt: 0, // Date.now() when the wallboard arrived
    timer: null,
    lastReport: null,
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

  function api(path, params) {
    const u = new URL(path, document.baseURI);
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== '' && v !== null && v !== undefined) u.searchParams.set(k, v);
    }
    return fetch(u, { headers: { Accept: 'application/json' }, cache: 'no-store' }).then(async (r) => {
      let body = null;
      try { body = await r.json(); } catch (e) { /* not JSON */ }
      if (!r.ok) throw new Error((body && body.error) || ('HTTP ' + r.status));
      return body;
    });
  }

  const intFmt = new Intl.NumberFormat('en');
  function fmtInt(n) { return n === null || n === undefined ? '–' : intFmt.format(Math.round(n)); }
  function fmtPct(v) { return v === null || v === undefined ? '–' : v.toFixed(1) + '%'; }
  function fmtDur(sec) {
    if (sec === null || sec === undefined || isNaN(sec)) return '–';
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
  // serverNow estimates the server's clock from the last wallboard.
  function serverNow() {
    if (!state.wallboard) return Date.now();
    return Date.parse(state.wallboard.generated_at) + (Date.now() - state.fetchedAt);
  }
  function ageSeconds(iso) { return iso ? (serverNow() - Date.parse(iso)) / 1000 : null; }
  function ago(iso) {
    const a = ageSeconds(iso);
    return a === null ? 'never' : fmtTime(iso) + ' (' + fmtDur(a) + ' ago)';
  }

  function setStatus(kind, text) {
    const s = $('status');
    s.dataset.state = kind;
    s.textContent = text;
  }

  // ---- wallboard --------------------------------------------------------

  function cell(col, value, cls) {
    return el('td', { 'data-col': col, class: cls || null }, value);
  }
  function numCell(col, value, extra) {
    return el('td', { 'data-col': col, class: 'num' + (extra ? ' ' + extra : '') }, value);
  }
  function oldestClass(v) { return v === null || v === undefined ? null : v >= 180 ? 'bad' : v >= 60 ? 'warn' : null; }
  function slClass(v) { return v === null || v === undefined ? null : v < 60 ? 'bad' : v < 80 ? 'warn' : 'good'; }

  function renderQueues(wb) {
    const body = $('queues-body');
    clear(body);
    const table = $('queues');
    const oldFoot = table.querySelector('tfoot');
    if (oldFoot) oldFoot.remove();
    if (!wb.queues.length) {
      body.append(el('tr', {}, el('td', { colspan: 13, class: 'empty' }, 'No queue data yet.')));
      return;
    }
    let inQueue = 0, oldest = null;
    for (const q of wb.queues) {
      const t = q.today;
      if (q.contacts_in_queue !== null) inQueue += q.contacts_in_queue;
      if (q.oldest_contact_age_seconds !== null) oldest = Math.max(oldest || 0, q.oldest_contact_age_seconds);
      body.append(el('tr', { 'data-queue': q.queue_id, 'data-channel': q.channel },
        el('th', { scope: 'row', 'data-col': 'queue' }, q.queue_name),
        cell('channel', q.channel),
        numCell('in_queue', fmtInt(q.contacts_in_queue)),
        numCell('oldest', q.oldest_contact_age_seconds === null ? '–' : fmtDur(q.oldest_contact_age_seconds), oldestClass(q.oldest_contact_age_seconds)),
        numCell('online', fmtInt(q.agents_online)),
        numCell('available', fmtInt(q.agents_available)),
        numCell('on_contact', fmtInt(q.agents_on_contact)),
        numCell('acw', fmtInt(q.agents_after_contact_work)),
        numCell('offered', fmtInt(t.offered)),
        numCell('handled', fmtInt(t.handled)),
        numCell('abandoned', fmtInt(t.abandoned)),
        numCell('aht', fmtDur(t.average_handle_seconds)),
        numCell('sl', fmtPct(t.service_level), slClass(t.service_level))));
    }
    const tot = wb.total;
    table.append(el('tfoot', {}, el('tr', { 'data-queue': 'total' },
      el('th', { scope: 'row', 'data-col': 'queue' }, 'Total'), cell('channel', ''),
      numCell('in_queue', fmtInt(inQueue)), numCell('oldest', oldest === null ? '–' : fmtDur(oldest)),
      cell('online', ''), cell('available', ''), cell('on_contact', ''), cell('acw', ''),
      numCell('offered', fmtInt(tot.offered)), numCell('handled', fmtInt(tot.handled)),
      numCell('abandoned', fmtInt(tot.abandoned)), numCell('aht', fmtDur(tot.average_handle_seconds)),
      numCell('sl', fmtPct(tot.service_level), slClass(tot.service_level)))));
    $('t-inqueue').textContent = fmtInt(inQueue);
    $('t-oldest').textContent = oldest === null ? '–' : fmtDur(oldest);
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
    let loggedIn = 0, shown = 0;
    for (const a of wb.agents) {
      const st = effectiveStatus(a);
      const offline = st.type === 'OFFLINE';
      if (!offline) loggedIn++;
      if (offline && !showOffline) continue;
      shown++;
      const contacts = a.status_name ? a.contact_count : (a.snapshot ? a.snapshot.contact_count : 0);
      const badge = contacts > 0 && !offline ? 'oncontact' : (st.type || '').toLowerCase();
      const who = el('th', { scope: 'row', 'data-col': 'agent' }, a.username);
      const full = [a.first_name, a.last_name].filter(Boolean).join(' ');
      if (full) who.append(' ', el('span', { class: 'muted' }, full));
      const snap = a.snapshot ? a.snapshot.status_name + ' at ' + fmtTime(a.snapshot.snapshot_time) : '–';
      body.append(el('tr', { 'data-agent': a.agent_id },
        who,
        el('td', { 'data-col': 'status' }, el('span', { class: 'badge ' + badge }, st.name)),
        numCell('since', st.since ? fmtDur(ageSeconds(st.since)) : '–'),
        numCell('contacts', fmtInt(contacts)),
        cell('routing_profile', a.routing_profile || '–'),
        cell('snapshot', snap)));
    }
    if (!shown) {
      body.append(el('tr', {}, el('td', { colspan: 6, class: 'empty' }, wb.agents.length ? 'No agents logged in.' : 'No agent data yet.')));
    }
    $('agents-count').textContent = loggedIn + ' logged in';
    $('t-available').textContent = fmtInt(wb.agents.filter((a) => {
      const st = effectiveStatus(a);
      const contacts = a.status_name ? a.contact_count : (a.snapshot ? a.snapshot.contact_count : 0);
      return st.type === 'ROUTABLE' && contacts === 0;
    }).length);
  }

  function renderTiles(wb) {
    const t = wb.total;
    $('today-day').textContent = wb.day + ' (' + wb.time_zone + ')';
    $('t-offered').textContent = fmtInt(t.offered);
    $('t-handled').textContent = fmtInt(t.handled);
    $('t-abandoned').textContent = fmtInt(t.abandoned);
    $('t-aht').textContent = fmtDur(t.average_handle_seconds);
    $('t-sl').textContent = fmtPct(t.service_level);
    $('t-sl-threshold').textContent = '(' + wb.service_level_seconds + ' s)';
  }

  function healthRow(dl, label, value, cls) {
    dl.append(el('dt', {}, label), el('dd', { class: cls || null }, value));
  }

  function renderHealth(h) {
    const dl = $('health');
    clear(dl);
    const staleCls = (iso) => (iso && ageSeconds(iso) > STALE_SECONDS ? 'stale' : null);
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
    const updated = 'updated ' + fmtTime(wb.generated_at);
    if (!newest.length) {
      setStatus('stale', 'No data yet · ' + updated);
    } else {
      const age = (serverNow() - Math.max(...newest)) / 1000;
      if (age > STALE_SECONDS) setStatus('stale', 'Stale: no new data for ' + fmtDur(age) + ' · ' + updated);
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
  }

  function refresh() {
    clearTimeout(state.timer);
    return api('api/wallboard', { tz: state.tz }).then((wb) => {
      state.wallboard = wb;
      state.fetchedAt = Date.now();
      render();
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

  // ---- reports ----------------------------------------------------------

  const REPORTS = {
    'queue-intervals': {
      title: 'Contacts per queue and interval',
      cols: ['Interval', 'Queue', 'Channel', 'Offered', 'Handled', 'Abandoned', 'Waiting', 'AHT', 'SL'],
      num: 3,
      row: (r) => [fmtLocal(r.local), r.queue_name, r.channel, fmtInt(r.stats.offered), fmtInt(r.stats.handled),
        fmtInt(r.stats.abandoned), fmtInt(r.stats.in_queue), fmtDur(r.stats.average_handle_seconds), fmtPct(r.stats.service_level)],
    },
    'interval-metrics': {
      title: 'Historical metrics per interval',
      cols: ['Interval', 'Queue', 'Channel', '15-min intervals', 'Queued', 'Handled', 'Abandoned', 'AHT', 'Avg answer', 'SL 20 s', 'Max queued'],
      num: 3,
      row: (r) => {
        const m = r.metrics;
        const pct = (v) => (v === undefined ? '–' : fmtPct(v));
        const dur = (v) => (v === undefined ? '–' : fmtDur(v));
        const n = (v) => (v === undefined ? '–' : fmtInt(v));
        return [fmtLocal(r.local), r.queue_name, r.channel, fmtInt(r.source_intervals), n(m.CONTACTS_QUEUED), n(m.CONTACTS_HANDLED),
          n(m.CONTACTS_ABANDONED), dur(m.AVG_HANDLE_TIME), dur(m.AVG_QUEUE_ANSWER_TIME), pct(m.SERVICE_LEVEL_20), dur(m.MAX_QUEUED_TIME)];
      },
    },
    'agent-status': {
      title: 'Time in status per agent and day',
      cols: ['Day', 'Agent', 'Status', 'Type', 'Time'],
      num: 4,
      row: (r) => [r.day, r.username, r.status_name, r.status_type, fmtDur(r.seconds)],
    },
  };

  function runReport(ev) {
    if (ev) ev.preventDefault();
    const kind = $('r-kind').value;
    const def = REPORTS[kind];
    const params = { from: $('r-from').value, to: $('r-to').value, tz: state.tz };
    if (kind !== 'agent-status') params.period = $('r-period').value;
    state.lastReport = kind;
    // Bookmarkable: the report's parameters go in the address.
    const u = new URL(window.location.href);
    u.searchParams.set('report', kind);
    for (const k of ['from', 'to', 'period']) {
      if (params[k]) u.searchParams.set(k, params[k]); else u.searchParams.delete(k);
    }
    window.history.replaceState(null, '', u);
    $('report-status').textContent = 'Loading…';
    return api('api/reports/' + kind, params).then((res) => {
      const head = $('report-head'), body = $('report-body');
      clear(head);
      clear(body);
      $('report-caption').textContent = def.title;
      head.append(el('tr', {}, ...def.cols.map((c, i) => el('th', { scope: 'col', class: i >= def.num ? 'num' : null }, c))));
      for (const r of res.rows) {
        body.append(el('tr', {}, ...def.row(r).map((v, i) => el('td', { class: i >= def.num ? 'num' : null }, v))));
      }
      if (!res.rows.length) body.append(el('tr', {}, el('td', { colspan: def.cols.length, class: 'empty' }, 'No data in this range.')));
      $('report-status').textContent = def.title + ', ' + res.rows.length + ' rows, ' + res.time_zone + '.';
    }).catch((err) => {
      $('report-status').textContent = 'Report failed: ' + err.message;
    });
  }

  // ---- set-up -----------------------------------------------------------

  function zoneList(defaultZone) {
    const zones = new Set([defaultZone, 'UTC']);
    try { zones.add(Intl.DateTimeFormat().resolvedOptions().timeZone); } catch (e) { /* ignore */ }
    if (typeof Intl.supportedValuesOf === 'function') {
      for (const z of Intl.supportedValuesOf('timeZone')) zones.add(z);
    } else {
      for (const z of ['Europe/London', 'Europe/Dublin', 'Europe/Berlin', 'America/New_York', 'America/Chicago',
        'America/Los_Angeles', 'Asia/Kolkata', 'Asia/Singapore', 'Australia/Sydney']) zones.add(z);
    }
    return [...zones].filter(Boolean);
  }

  function setZone(tz) {
    state.tz = tz;
    const u = new URL(window.location.href);
    if (tz === state.config.time_zone) u.searchParams.delete('tz'); else u.searchParams.set('tz', tz);
    window.history.replaceState(null, '', u);
  }

  function init() {
    api('api/config').then((cfg) => {
      state.config = cfg;
      const wanted = new URL(window.location.href).searchParams.get('tz');
      state.tz = wanted || cfg.time_zone;
      const sel = $('tz');
      for (const z of zoneList(cfg.time_zone)) {
        sel.append(el('option', { value: z }, z === cfg.time_zone ? z + ' (default)' : z));
      }
      if (![...sel.options].some((o) => o.value === state.tz)) sel.append(el('option', { value: state.tz }, state.tz));
      sel.value = state.tz;
      sel.addEventListener('change', () => {
        setZone(sel.value);
        refresh();
        if (state.lastReport) runReport();
      });
      const p = new URL(window.location.href).searchParams;
      $('r-from').value = p.get('from') || cfg.today;
      $('r-to').value = p.get('to') || p.get('from') || cfg.today;
      if (p.get('period')) $('r-period').value = p.get('period');
      const periodOff = () => { $('r-period').disabled = $('r-kind').value === 'agent-status'; };
      $('r-kind').addEventListener('change', periodOff);
      $('report-form').addEventListener('submit', runReport);
      if (REPORTS[p.get('report')]) {
        $('r-kind').value = p.get('report');
        periodOff();
        runReport();
      }
      $('show-offline').addEventListener('change', render);
      refresh();
      tick();
      setInterval(tick, 1000);
    }).catch((err) => setStatus('error', 'Cannot reach the dashboard: ' + err.message));
  }

  document.addEventListener('DOMContentLoaded', init);
})();
