// spgate console: plain JavaScript, no framework, no inline script (the CSP forbids it).
// Every answer comes from spgate-control's /api/ (control/web/handlers.c); every POST carries
// the login's CSRF token in X-CSRF-Token; every action asks for confirmation first.
'use strict';

const state = { me: null, csrf: '', view: '', timer: null, challenge: null, user: '' };
const $ = (id) => document.getElementById(id);

function showError(text) {
  const e = $('error');
  e.textContent = text || '';
  e.hidden = !text;
}

function showNotice(text) {
  const n = $('notice');
  n.textContent = text || '';
  n.hidden = !text;
}

// refresh: the timer asks, not the user (X-Refresh: the server's idle clock goes on)
async function api(method, path, body, refresh) {
  const opts = { method, credentials: 'same-origin', headers: {} };
  if (refresh) opts.headers['X-Refresh'] = '1';
  if (method === 'POST') {
    opts.headers['Content-Type'] = 'application/json';
    if (state.csrf) opts.headers['X-CSRF-Token'] = state.csrf;
    opts.body = JSON.stringify(body || {});
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new Error('spgate-control does not answer (' + e.message + '); check the network and reload.');
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401 && path !== '/api/login') {
    loggedOut('Your login ended (idle too long, logged out, or revoked). Please log in again.');
    throw new Error('not logged in');
  }
  if (!res.ok || !data || data.ok === false) {
    const msg = data && data.message ? data.message : 'the server answered ' + res.status;
    throw new Error(msg);
  }
  return data;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function when(unix) {
  if (!unix) return '';
  return new Date(unix * 1000).toLocaleString();
}

function duration(s) {
  if (!s) return '';
  if (s % 3600 === 0) return (s / 3600) + ' h';
  if (s % 60 === 0) return (s / 60) + ' min';
  return s + ' s';
}

function bytes(n) {
  if (n === undefined || n === null) return '';
  if (n < 1024) return n + ' B';
  if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
  return (n / 1048576).toFixed(1) + ' MiB';
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = c instanceof Node ? c : el('td', c);
    tr.appendChild(td);
  }
  return tr;
}

function fill(id, items, render) {
  const body = $(id + '-rows');
  body.replaceChildren(...items.map(render));
  const empty = $(id + '-empty');
  if (empty) empty.hidden = items.length > 0;
}

// A confirmation dialog; resolves to the comment (a string) or null when cancelled.
function confirmAction(title, text, withComment) {
  const d = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-comment').value = '';
  $('confirm-comment').hidden = !withComment;
  $('confirm-comment-label').hidden = !withComment;
  $('confirm-ok').textContent = title;
  return new Promise((resolve) => {
    const done = (value) => {
      d.removeEventListener('close', onClose);
      $('confirm-cancel').removeEventListener('click', onCancel);
      resolve(value);
    };
    const onClose = () => done(d.returnValue === 'ok' ? $('confirm-comment').value : null);
    const onCancel = () => { d.close('cancel'); };
    d.returnValue = '';
    d.addEventListener('close', onClose);
    $('confirm-cancel').addEventListener('click', onCancel);
    d.showModal();
    (withComment ? $('confirm-comment') : $('confirm-ok')).focus();
  });
}

async function act(path, body, done) {
  showError('');
  try {
    await api('POST', path, body);
    showNotice(done);
  } catch (e) {
    if (e.message !== 'not logged in') showError(e.message);
  }
  refresh();
}

async function decide(s, approve) {
  const verb = approve ? 'Approve' : 'Deny';
  const comment = await confirmAction(verb,
    verb + ' ' + s.user + "'s access to " + s.serial + ' (' + s.customer + ')? Reason given: ' +
    (s.request_reason || '(none)'), true);
  if (comment === null) return;
  await act(approve ? '/api/approve' : '/api/deny', { id: s.id, comment },
    'Session ' + s.id + (approve ? ' approved.' : ' denied.'));
}

async function disconnect(s) {
  const ok = await confirmAction('Disconnect',
    'End session ' + s.id + ' (' + s.user + ' on ' + s.serial + ') now?', false);
  if (ok === null) return;
  await act('/api/disconnect', { id: s.id }, 'Session ' + s.id + ' disconnected.');
}

function actions(buttons) {
  const td = el('td', null, 'actions');
  for (const b of buttons) td.appendChild(b);
  return td;
}

function button(text, cls, onClick, label) {
  const b = el('button', text, cls);
  b.type = 'button';
  if (label) b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}

const views = {
  async pending(auto) {
    const data = await api('GET', '/api/pending', undefined, auto);
    fill('pending', data.sessions, (s) => row([
      s.user, s.serial + ' (' + s.customer + ')', s.request_reason || '', s.ticket || '',
      (s.ports || []).join(', '), duration(s.max_duration), when(s.created), when(s.approval_deadline),
      actions([
        button('Approve', 'approve', () => decide(s, true), 'Approve session ' + s.id + ' of ' + s.user),
        button('Deny', 'deny', () => decide(s, false), 'Deny session ' + s.id + ' of ' + s.user),
      ]),
    ]));
  },
  async sessions(auto) {
    const history = $('sessions-history').checked ? '?history=1' : '';
    const data = await api('GET', '/api/sessions' + history, undefined, auto);
    const live = ['active', 'keyed', 'sp_auth', 'dialing', 'authorized', 'requested', 'degraded', 'awaiting_approval'];
    fill('sessions', data.sessions, (s) => row([
      s.id, s.user, s.serial, s.customer, s.state, s.line || '', s.request_reason || s.reason || '', when(s.created),
      bytes(s.out_bytes) + ' / ' + bytes(s.in_bytes), s.out_packets + ' / ' + s.in_packets,
      actions(live.includes(s.state) && (state.me.operator || s.user === state.me.user)
        ? [button('Disconnect', 'danger', () => disconnect(s), 'Disconnect session ' + s.id)] : []),
    ]));
  },
  async recordings() {
    const data = await api('GET', '/api/recordings');
    fill('recordings', data.recordings, (r) => {
      const a = el('a', 'Download');
      a.href = '/api/recording?id=' + encodeURIComponent(r.id);
      a.setAttribute('download', '');
      a.setAttribute('aria-label', 'Download recording ' + r.id);
      const td = el('td', null, 'actions');
      if (r.state !== 'recording' && r.state !== 'deleted') td.appendChild(a);
      return row([r.id, r.session, r.serial, r.user, r.state, r.sealed ? 'yes' : 'no', bytes(r.bytes), td]);
    });
  },
  async lines(auto) {
    const data = await api('GET', '/api/lines', undefined, auto);
    fill('lines', data.lines, (l) => row([l.id, l.type, l.region, l.state, l.session || '']));
  },
  async gateways(auto) {
    const data = await api('GET', '/api/gateways', undefined, auto);
    fill('gateways', data.gateways, (g) => row([
      g.id + (g.self ? ' (this host)' : ''), g.state, g.sessions, g.load.toFixed(2),
      new Date(g.renewed * 1000).toLocaleString(), g.version,
    ]));
  },
  async audit() {
    const q = new URLSearchParams();
    for (const [k, v] of new FormData($('audit-form'))) if (v) q.set(k, v);
    const data = await api('GET', '/api/audit?' + q.toString());
    fill('audit', data.events.slice().reverse(), (e) => row([
      e.time, e.actor, e.action, e.target, e.result, e.detail ? JSON.stringify(e.detail) : '',
    ]));
  },
};

async function refresh(auto) {
  if (!state.me || !views[state.view]) return;
  try {
    await views[state.view](auto === true);
  } catch (e) {
    if (e.message !== 'not logged in') showError(e.message);
  }
}

function show(view) {
  state.view = view;
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.id !== 'view-' + view;
  for (const b of document.querySelectorAll('#nav button')) {
    if (b.dataset.view === view) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
  }
  clearInterval(state.timer);
  state.timer = null;
  if (view !== 'login') {
    showError('');
    refresh();
    // live pages follow the gateway without a reload
    if (view === 'sessions' || view === 'pending' || view === 'lines' || view === 'gateways') state.timer = setInterval(() => refresh(true), 3000);
  }
}

function loggedIn(me) {
  state.me = me;
  state.csrf = me.csrf;
  $('me-name').textContent = me.user + (me.operator ? ' (operator)' : ' (approver)');
  $('me').hidden = false;
  $('nav').hidden = false;
  for (const b of document.querySelectorAll('#nav button')) {
    const f = b.dataset.for;
    b.hidden = (f === 'operator' && !me.operator) || (f === 'approver' && me.operator);
  }
  show(me.operator ? 'sessions' : 'pending');
}

function loggedOut(why) {
  state.me = null;
  state.csrf = '';
  $('me').hidden = true;
  $('nav').hidden = true;
  $('login-form').hidden = false;
  $('code-form').hidden = true;
  show('login');
  showError(why || '');
  $('login-user').focus();
}

async function afterLogin(data) {
  if (data.challenge) {
    state.challenge = data.challenge.id;
    $('code-prompt').textContent = data.challenge.prompt || 'Authenticator code';
    $('login-form').hidden = true;
    $('code-form').hidden = false;
    $('login-code').value = '';
    $('login-code').focus();
    return;
  }
  state.csrf = data.csrf;
  $('login-password').value = '';
  loggedIn(await api('GET', '/api/me'));
}

async function onLogin(ev) {
  ev.preventDefault();
  showError('');
  state.user = $('login-user').value;
  try {
    await afterLogin(await api('POST', '/api/login', { user: state.user, password: $('login-password').value }));
  } catch (e) {
    showError(e.message);
  }
}

async function onCode(ev) {
  ev.preventDefault();
  showError('');
  try {
    await afterLogin(await api('POST', '/api/login',
      { user: state.user, challenge: state.challenge, response: $('login-code').value }));
  } catch (e) {
    showError(e.message);
    loggedOut(e.message);
  }
}

async function onLogout() {
  try { await api('POST', '/api/logout'); } catch (e) { /* the session is gone either way */ }
  loggedOut('You are logged out.');
}

async function start() {
  $('login-form').addEventListener('submit', onLogin);
  $('code-form').addEventListener('submit', onCode);
  $('logout').addEventListener('click', onLogout);
  $('audit-form').addEventListener('submit', (ev) => { ev.preventDefault(); refresh(); });
  $('sessions-history').addEventListener('change', refresh);
  for (const b of document.querySelectorAll('#nav button')) {
    b.addEventListener('click', () => { showNotice(''); show(b.dataset.view); });
  }
  try {
    const res = await fetch('/api/me', { credentials: 'same-origin' });
    if (res.ok) { loggedIn(await res.json()); return; }
  } catch (e) { /* not logged in */ }
  loggedOut('');
}

document.addEventListener('DOMContentLoaded', start);
