// sensorbridge's dashboard: a WAMP client over the gateway's own WebSocket
// (/ws, same origin) for readings and controls, and /stats (polled) for the
// devices and the gateway's counters. Everything is rendered with
// textContent: nothing from the data is parsed as HTML.
'use strict';
const $ = (id) => document.getElementById(id);

// ---- a small WAMP v2 JSON client: ticket and WAMP-CRA, subscribe, call.
const HELLO = 1, WELCOME = 2, ABORT = 3, CHALLENGE = 4, AUTHENTICATE = 5, GOODBYE = 6, ERROR = 8,
  SUBSCRIBE = 32, SUBSCRIBED = 33, EVENT = 36, CALL = 48, RESULT = 50;

class WampError extends Error {
  constructor(uri, args) {
    super(uri + (args && args.length && typeof args[0] === 'string' ? ': ' + args[0] : ''));
    this.uri = uri;
  }
}

const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));

// craSign signs a WAMP-CRA challenge: HMAC-SHA256 keyed by the secret, or
// with a salt by its PBKDF2 derivation (base64), as auth.DeriveCRAKey does.
async function craSign(secret, extra) {
  const s = crypto.subtle, enc = new TextEncoder();
  if (!s) throw new Error('WAMP-CRA needs a secure context (https or localhost)');
  let key = secret;
  if (extra.salt) {
    const base = await s.importKey('raw', enc.encode(secret), 'PBKDF2', false, ['deriveBits']);
    const bits = await s.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: enc.encode(extra.salt),
      iterations: extra.iterations || 1000 }, base, 8 * (extra.keylen || 32));
    key = b64(bits);
  }
  const k = await s.importKey('raw', enc.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return b64(await s.sign('HMAC', k, enc.encode(extra.challenge)));
}

class Session {
  constructor(ws) {
    this.ws = ws;
    this.id = 0;
    this.next = 1;
    this.pending = new Map();
    this.handlers = new Map();
    this.closed = false;
    this.onclose = null;
  }
  send(m) {
    if (this.closed) throw new Error('not connected');
    this.ws.send(JSON.stringify(m));
  }
  request(kind, build) {
    return new Promise((resolve, reject) => {
      const id = this.next++;
      this.pending.set(id, { resolve, reject, kind });
      try { this.send(build(id)); } catch (e) { this.pending.delete(id); reject(e); }
    });
  }
  subscribe(topic, options, h) {
    return this.request(SUBSCRIBE, (id) => [SUBSCRIBE, id, options, topic]).then((sub) => { this.handlers.set(sub, h); return sub; });
  }
  call(proc, args, kwargs) {
    return this.request(CALL, (id) => [CALL, id, {}, proc, args || [], kwargs || {}]);
  }
  message(m) {
    const t = m[0];
    if (t === EVENT) {
      const h = this.handlers.get(m[1]);
      if (h) h(m[4] || [], m[5] || {}, m[3] || {});
      return;
    }
    if (t === GOODBYE || t === ABORT) { this.ws.close(); return; }
    const id = t === ERROR ? m[2] : m[1], p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (t === ERROR) p.reject(new WampError(m[4], m[5]));
    else if (t === SUBSCRIBED) p.resolve(m[2]);
    else if (t === RESULT) p.resolve({ args: m[3] || [], kwargs: m[4] || {} });
  }
  ended(reason) {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error('connection lost'));
    this.pending.clear();
    if (this.onclose) this.onclose(reason);
  }
}

// connect joins realm at url, with creds {authid, secret, method} or none.
function connect(url, realm, creds) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['wamp.2.json']), s = new Session(ws);
    let joined = false;
    const timer = setTimeout(() => { ws.close(); reject(new Error('join timed out')); }, 10000);
    ws.onopen = () => {
      const details = { agent: 'sensorbridge-dashboard', roles: { caller: {}, subscriber: {} } };
      if (creds) { details.authid = creds.authid; details.authmethods = [creds.method]; }
      ws.send(JSON.stringify([HELLO, realm, details]));
    };
    ws.onmessage = async (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { ws.close(); return; }
      if (!Array.isArray(m)) return;
      if (joined) { s.message(m); return; }
      if (m[0] === WELCOME) {
        joined = true;
        s.id = m[1];
        s.details = m[2] || {};
        clearTimeout(timer);
        resolve(s);
      } else if (m[0] === CHALLENGE && creds) {
        try {
          const sig = m[1] === 'wampcra' ? await craSign(creds.secret, m[2] || {}) : creds.secret;
          ws.send(JSON.stringify([AUTHENTICATE, sig, {}]));
        } catch (e) { clearTimeout(timer); ws.close(); reject(e); }
      } else if (m[0] === ABORT) {
        clearTimeout(timer);
        ws.close();
        reject(new WampError(m[2]));
      }
    };
    ws.onclose = (ev) => {
      clearTimeout(timer);
      if (!joined) reject(new Error('connection closed (' + ev.code + ')'));
      s.ended('closed (' + ev.code + ')');
    };
  });
}

// ---- page state.
let session = null, creds = null, cfg = null, backoff = 500;
const readings = new Map();  // topic -> {row, value, when, unit, series: [{t, v}]}
const switches = new Map();  // x (of x.set/x.get) -> {button, on, res}
const forms = new Map();     // procedure -> {button, note}
const devices = new Map();   // session id -> {row, gone}
let chartTopic = null, dirty = new Set(), frame = 0;
const MAX_POINTS = 5000;

function status(text, err) {
  $('status').textContent = text;
  $('status').className = err ? 'err' : '';
}

function cell(tr, tag, text, num) {
  const c = document.createElement(tag);
  c.textContent = String(text);
  if (num) c.className = 'n';
  tr.appendChild(c);
  return c;
}

const show = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

// header adds a row of column names to table t.
function header(t, cols) {
  const h = t.insertRow();
  for (const c of cols) cell(h, 'th', c);
}

// label turns a snake_case key into words.
const label = (k) => k.replace(/_/g, ' ');

// when shows an RFC 3339 time as the local time, with the date when it is
// not today; '' for none.
function when(s) {
  if (!s) return '';
  const d = new Date(s);
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

// ---- readings: every topic with events, coalesced redraws.
function onEvent(args, kwargs, details) {
  const topic = details.topic;
  if (!topic) return;
  if (topic.startsWith('wamp.session.')) { pollStats(); if (topic === 'wamp.session.on_leave') gone(args[0]); return; }
  if (topic.startsWith('wamp.')) return;
  let r = readings.get(topic);
  if (!r) {
    if (!$('readings').rows.length) header($('readings'), ['topic', 'value', 'time']);
    const row = $('readings').insertRow();
    row.dataset.topic = topic;
    r = { row, series: [], unit: '' };
    for (let i = 0; i < 3; i++) row.insertCell();
    row.cells[0].textContent = topic;
    row.onclick = () => { chartTopic = topic; schedule(topic); };
    readings.set(topic, r);
  }
  const rest = Object.keys(kwargs).filter((k) => k !== 'unit' && k !== 'time');
  r.value = show(args.length === 1 ? args[0] : args) + (rest.length ? ' ' + JSON.stringify(Object.fromEntries(rest.map((k) => [k, kwargs[k]]))) : '');
  r.when = Date.parse(kwargs.time) || Date.now();
  if (typeof kwargs.unit === 'string') r.unit = kwargs.unit;
  const v = Number(args[0]);
  if (typeof args[0] === 'number' && Number.isFinite(v)) {
    r.series.push({ t: r.when, v });
    if (r.series.length > MAX_POINTS) r.series.splice(0, r.series.length - MAX_POINTS);
    if (!chartTopic) chartTopic = topic;
  }
  const sw = switches.get(topic.replace(/\.state$/, ''));
  if (topic.endsWith('.state') && sw && typeof args[0] === 'boolean') setSwitch(sw, args[0]);
  schedule(topic);
}

function schedule(topic) {
  dirty.add(topic);
  if (!frame) frame = requestAnimationFrame(render);
}

function render() {
  frame = 0;
  for (const topic of dirty) {
    const r = readings.get(topic);
    if (!r) continue;
    r.row.cells[1].textContent = r.value + (r.unit ? ' ' + r.unit : '');
    r.row.cells[2].textContent = new Date(r.when).toLocaleTimeString();
    r.row.className = topic === chartTopic ? 'sel' : '';
  }
  dirty.clear();
  for (const [t, r] of readings) r.row.className = t === chartTopic ? 'sel' : '';
  if (!$('pause').checked) draw();
}

function niceStep(span, n) {
  const raw = span / n, p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

// draw plots the chosen topic's readings of the time window, with a value
// axis (in its unit) and a time axis.
function draw() {
  const c = $('chart'), g = c.getContext('2d'), dpr = window.devicePixelRatio || 1;
  const w = c.clientWidth, h = c.clientHeight;
  c.width = w * dpr;
  c.height = h * dpr;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const r = readings.get(chartTopic), L = 50, R = 10, T = 16, B = 30, pw = w - L - R, ph = h - T - B;
  $('charttitle').textContent = 'chart: ' + (chartTopic || 'no numeric reading yet');
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#666';
  g.strokeStyle = '#999';
  g.beginPath();
  g.moveTo(L, T);
  g.lineTo(L, T + ph);
  g.lineTo(L + pw, T + ph);
  g.stroke();
  if (!r) return;
  g.fillText(r.unit || 'value', 2, 10);
  const t1 = Date.now(), pts = r.series.filter((p) => p.t >= t1 - Number($('window').value) * 1000);
  c.dataset.points = pts.length;
  if (!pts.length) return;
  const t0 = Math.min(pts[0].t, t1 - 10000);  // the window, or less while readings are fewer
  let lo = Infinity, hi = -Infinity;
  for (const p of pts) { lo = Math.min(lo, p.v); hi = Math.max(hi, p.v); }
  if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
  const step = niceStep(hi - lo, 4);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const x = (t) => L + (t - t0) / (t1 - t0) * pw, y = (v) => T + ph - (v - lo) / (hi - lo) * ph;
  g.strokeStyle = '#eee';
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  for (let v = lo; v <= hi + step / 2; v += step) {
    g.beginPath();
    g.moveTo(L, y(v));
    g.lineTo(L + pw, y(v));
    g.stroke();
    g.fillText(v.toFixed(digits), L - 4, y(v));
  }
  g.textBaseline = 'alphabetic';
  g.textAlign = 'center';
  const ts = niceStep((t1 - t0) / 1000, 4) * 1000;
  for (let t = Math.ceil(t0 / ts) * ts; t <= t1; t += ts) {
    const label = new Date(t).toLocaleTimeString(), half = g.measureText(label).width / 2;
    if (x(t) - half >= L && x(t) + half <= w) g.fillText(label, x(t), T + ph + 14);
  }
  g.strokeStyle = '#c33';
  g.beginPath();
  pts.forEach((p, i) => (i ? g.lineTo(x(p.t), y(p.v)) : g.moveTo(x(p.t), y(p.v))));
  g.stroke();
  const last = pts[pts.length - 1];  // marked, so that a first reading shows too
  g.fillStyle = '#c33';
  g.fillRect(x(last.t) - 2, y(last.v) - 2, 4, 4);
}

// ---- controls: a switch per x.set/x.get pair, a form for the others.
function setSwitch(sw, on) {
  sw.on = on;
  sw.button.textContent = on === null ? '?' : on ? 'ON' : 'off';
  sw.button.className = 'sw' + (on ? ' on' : '');
  sw.button.dataset.on = String(on);
}

function result(el, text, err) {
  el.textContent = text;
  el.className = 'res' + (err ? ' err' : '');
}

async function readSwitch(x, sw) {
  const s = session;
  if (!s) return;
  try {
    const res = await s.call(x + '.get');
    if (typeof res.args[0] === 'boolean') setSwitch(sw, res.args[0]);
  } catch (e) {
    if (!s.closed) result(sw.res, x + '.get: ' + e.message, true);
  }
}

function refused(e) {
  return e.uri === 'wamp.error.not_authorized' || e.uri === 'wamp.error.authorization_failed';
}

function addSwitch(x) {
  const div = document.createElement('div');
  div.className = 'ctl';
  cell(div, 'span', x + ' ').style.marginRight = '.5em';
  const button = document.createElement('button');
  button.className = 'sw';
  button.id = 'switch-' + x;
  div.appendChild(button);
  const res = cell(div, 'span', '');
  res.className = 'res';
  const sw = { button, on: null, res, note: note(div) };
  setSwitch(sw, null);
  button.onclick = async () => {
    const s = session;
    if (!s) return;
    try {
      const r = await s.call(x + '.set', [!sw.on]);
      if (typeof r.args[0] === 'boolean') setSwitch(sw, r.args[0]);
      result(res, 'ok');
    } catch (e) {
      result(res, refused(e) ? 'refused: you may not call ' + x + '.set (' + e.uri + ')' : x + '.set: ' + e.message, true);
    }
  };
  switches.set(x, sw);
  controlOf.set(x + '.set', sw);
  $('controls').appendChild(div);
  readSwitch(x, sw);
}

// note adds the span that says why a control is disabled.
function note(div) {
  const n = cell(div, 'span', '');
  n.className = 'note';
  return n;
}

function addForm(proc) {
  const div = document.createElement('div');
  div.className = 'ctl';
  cell(div, 'span', proc + ' ');
  const args = document.createElement('input'), kwargs = document.createElement('input');
  args.type = kwargs.type = 'text';
  args.placeholder = 'args: [1, "a"]';
  kwargs.placeholder = 'kwargs: {"k": 1}';
  const button = document.createElement('button');
  button.textContent = 'call';
  div.append(args, kwargs, button);
  const res = cell(div, 'span', '');
  const ctl = { button, note: note(div) };
  button.onclick = async () => {
    let a, k;
    try {
      a = args.value.trim() ? JSON.parse(args.value) : [];
      k = kwargs.value.trim() ? JSON.parse(kwargs.value) : {};
      if (!Array.isArray(a) || typeof k !== 'object' || Array.isArray(k) || k === null) throw new Error('args: a JSON array; kwargs: a JSON object');
    } catch (e) { result(res, e.message, true); return; }
    if (!session) return;
    try {
      const r = await session.call(proc, a, k);
      result(res, '→ ' + JSON.stringify(r.args) + (Object.keys(r.kwargs).length ? ' ' + JSON.stringify(r.kwargs) : ''));
    } catch (e) {
      result(res, refused(e) ? 'refused: ' + e.uri : e.message, true);
    }
  };
  forms.set(proc, ctl);
  controlOf.set(proc, ctl);
  $('controls').appendChild(div);
}

// ---- what this session may call: sensorbridge.permissions answers for the
// procedures of the controls (the router discloses who asks); a control it
// may not use is disabled, with a note. Without an answer (an older
// gateway, a realm that denies the question) every control stays enabled,
// and the router refuses what it must.
const controlOf = new Map(); // procedure a control calls -> {button, note}
let permsAsked = new Set(), permsBroken = false;

function allow(proc, may, role) {
  const c = controlOf.get(proc);
  if (!c) return;
  c.button.disabled = !may;
  c.note.textContent = may ? '' : 'read only: role ' + role;
}

async function askPermissions() {
  const s = session, ask = [...controlOf.keys()].filter((p) => !permsAsked.has(p));
  if (!s || permsBroken || !ask.length) return;
  for (const p of ask) permsAsked.add(p);
  try {
    const r = await s.call('sensorbridge.permissions', ask, { action: 'call' });
    const allowed = r.kwargs.allowed || {};
    for (const p of ask) allow(p, allowed[p] !== false, r.kwargs.authrole);
  } catch (e) {
    for (const p of ask) permsAsked.delete(p);
    if (e.uri === 'wamp.error.no_such_procedure' || s.closed) return;  // not registered yet: asked again
    permsBroken = true;
    for (const p of controlOf.keys()) allow(p, true);
  }
}

// controls adds a control for each procedure not yet shown.
function controls(procs) {
  const names = new Set(procs.map((p) => p.procedure));
  for (const p of names) {
    if (p.startsWith('wamp.') || p === 'sensorbridge.stats' || p === 'sensorbridge.permissions') continue;  // the gateway's own
    const m = /^(.*)\.(set|get)$/.exec(p);
    if (m && names.has(m[1] + '.set') && names.has(m[1] + '.get')) {
      if (!switches.has(m[1])) addSwitch(m[1]);
    } else if (!forms.has(p)) {
      addForm(p);
    }
  }
}

// ---- devices and gateway, from /stats.
function gone(id) {
  const d = devices.get(Number(id));
  if (!d || d.gone) return;
  d.gone = true;
  d.row.className = 'gone';
  d.row.cells[d.row.cells.length - 1].textContent = 'gone ' + new Date().toLocaleTimeString();
}

const DEVICE_COLS = ['session', 'authid', 'role', 'method', 'transport', 'address', 'since', 'messages in', 'messages out',
  'events dropped', 'procedures', 'topics published', 'state'];

// topicsOf lists the topics a session published, and how many of its
// publications went to topics past the list.
function topicsOf(s) {
  const more = s.other_topic_publications ? ' (+' + s.other_topic_publications + ' to other topics)' : '';
  return (s.topics || []).join(' ') + more;
}

function showDevices(list, procs) {
  const t = $('devices');
  if (!t.rows.length) header(t, DEVICE_COLS);
  const byCallee = new Map();
  for (const p of procs) for (const id of p.callees || []) {
    if (!byCallee.has(id)) byCallee.set(id, []);
    byCallee.get(id).push(p.procedure);
  }
  const now = new Set();
  for (const s of list) {
    now.add(s.id);
    let d = devices.get(s.id);
    if (d && d.gone) continue;  // /stats read before it left: it stays gone
    if (!d) {
      d = { row: t.insertRow(1), gone: false };
      d.row.dataset.session = s.id;
      for (const col of DEVICE_COLS) {
        const c = d.row.insertCell();
        c.dataset.col = col;
        if (/^(messages|events)/.test(col)) c.className = 'n';
      }
      devices.set(s.id, d);
    }
    const vals = [s.id, s.authid, s.authrole, s.authmethod, s.transport, s.remote, when(s.since), s.messages_in, s.messages_out,
      s.events_dropped, (byCallee.get(s.id) || []).join(' '), topicsOf(s), s.id === (session && session.id) ? 'this page' : 'joined'];
    vals.forEach((v, i) => { d.row.cells[i].textContent = String(v === undefined ? '' : v); });
  }
  for (const [id, d] of devices) if (!now.has(id)) gone(id);
  const old = [...devices].filter(([, d]) => d.gone);
  for (const [id, d] of old.slice(0, Math.max(0, old.length - 20))) { d.row.remove(); devices.delete(id); }
}

// kv shows obj as a table of keys and values: the keys in first (those
// obj has), then the others in order.
function kv(id, obj, first) {
  const t = $(id);
  t.replaceChildren();
  if (!obj) { cell(t.insertRow(), 'td', 'none'); return; }
  const head = (first || []).filter((k) => k in obj);
  for (const k of head.concat(Object.keys(obj).filter((k) => !head.includes(k)).sort())) {
    const tr = t.insertRow();
    tr.dataset.key = k;
    cell(tr, 'th', label(k));
    cell(tr, 'td', obj[k], typeof obj[k] === 'number');
  }
}

// uplinkView is the uplink's figures as the page shows them: its last
// error with the local time it happened, or "none".
function uplinkView(u) {
  if (!u) return u;
  const v = Object.assign({}, u);
  v.last_error = u.last_error ? u.last_error + ' (' + when(u.last_error_time) + ')' : 'none';
  delete v.last_error_time;
  return v;
}

function rows(id, cols, list) {
  const t = $(id);
  t.replaceChildren();
  header(t, cols.map(label));
  if (!list || !list.length) { cell(t.insertRow(), 'td', 'none'); return; }
  for (const r of list) {
    const tr = t.insertRow();
    for (const c of cols) cell(tr, 'td', r[c] === undefined ? '' : r[c], typeof r[c] === 'number');
  }
}

let pollTimer = 0, polling = false;
async function pollStats() {
  if (polling) return;
  polling = true;
  clearTimeout(pollTimer);
  try {
    const res = await fetch('/stats', { cache: 'no-store' });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const d = await res.json();
    cfg = d;
    kv('router', d.router);
    kv('uplink', uplinkView(d.uplink), ['state', 'url', 'last_error', 'queued', 'queue_dropped']);
    rows('listeners', ['url', 'kind', 'active', 'connections', 'handshake_failures', 'protocol_errors', 'auth_failures', 'timeouts'], d.listeners);
    rows('serial', ['url', 'frames_in', 'frames_out', 'crc_errors', 'retransmissions', 'peer_restarts', 'handshakes'], d.serial);
    showDevices(d.sessions || [], d.procedures || []);
    if (session) {
      controls(d.procedures || []);
      askPermissions();
    }
  } catch (e) {
    if (session) status('cannot read /stats: ' + e.message, true);
  }
  polling = false;
  pollTimer = setTimeout(pollStats, (cfg && cfg.refresh_ms) || 2000);
}

// ---- joining, logging in, reconnecting.
async function join() {
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
  try {
    const s = await connect(url, cfg.realm, creds);
    session = s;
    backoff = 500;
    permsAsked = new Set();  // asked again: the login may have changed
    permsBroken = false;
    $('login').hidden = true;
    status('joined ' + cfg.realm + ' as ' + (s.details.authid || 'anonymous') + ' (' + (s.details.authrole || '') + '), session ' + s.id);
    s.onclose = () => {
      session = null;
      status('connection lost; reconnecting…', true);
      setTimeout(join, backoff);
    };
    try {
      // Every topic: the router takes no empty prefix, so one prefix per
      // first character a URI may start with (the wamp. meta events too).
      const firsts = 'abcdefghijklmnopqrstuvwxyz0123456789_ABCDEFGHIJKLMNOPQRSTUVWXYZ-';
      await Promise.all([...firsts].map((c) => s.subscribe(c, { match: 'prefix' }, onEvent)));
    } catch (e) {
      status('joined, but may not subscribe to the readings: ' + e.message, true);
    }
    for (const [x, sw] of switches) readSwitch(x, sw);
    pollStats();
  } catch (e) {
    const auth = e.uri && /authentication_failed|no_auth_method|not_authorized|no_such_principal/.test(e.uri);
    if (auth || (!creds && cfg.auth && !cfg.auth.anonymous)) {
      $('login').hidden = false;
      $('loginerr').textContent = creds ? 'login refused: ' + e.message : '';
      status('log in to ' + cfg.realm, true);
      return;
    }
    status('cannot join: ' + e.message + '; retrying…', true);
    backoff = Math.min(backoff * 2, 5000);
    setTimeout(start, backoff);
  }
}

$('login').onsubmit = (ev) => {
  ev.preventDefault();
  creds = { authid: $('authid').value, secret: $('secret').value, method: $('method').value };
  join();
};
$('pause').onchange = () => schedule(chartTopic);
$('window').onchange = () => schedule(chartTopic);

// start reads /stats for the realm and its access, then joins.
async function start() {
  try {
    const res = await fetch('/stats', { cache: 'no-store' });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    cfg = await res.json();
  } catch (e) {
    status('cannot reach the gateway: ' + e.message + '; retrying…', true);
    backoff = Math.min(backoff * 2, 5000);
    setTimeout(start, backoff);
    return;
  }
  if (!cfg.auth.anonymous && !creds) {
    $('login').hidden = false;
    status('log in to ' + cfg.realm);
    pollStats();
    return;
  }
  join();
}
start();
