// SPDX-License-Identifier: BSD-3-Clause
// The web console in a real browser (issue 18): headless Debian chromium driven by
// playwright-core, against the system tests/integration/test_web.sh brings up.
//
//   node console.test.js approver   the attacks first (no CSRF token, another session's token,
//                                    a form post, another customer's approver), then the globex
//                                    approver approves bob's request in the page
//   node console.test.js operator   the other customer's approver sees nothing of globex; an
//                                    operator sees the live session, lines, gateways and the audit trail,
//                                    disconnects it; logout revokes the cookie
//   node console.test.js recording  gina downloads the session's sealed recording (to
//                                    SPG_WEB_ARTIFACTS/recording.p7m); ada cannot
//
// Environment: SPG_WEB_URL (https://198.51.100.2:9443), SPG_WEB_ARTIFACTS (screenshots),
// NODE_EXTRA_CA_CERTS (the lab CA, for node's own requests), SPG_SERIAL (CK3001),
// SPG_REASON (bob's reason). Prints PASS:/FAIL: lines; exits 1 when anything failed.
'use strict';

const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');

const URL_BASE = process.env.SPG_WEB_URL;
const ART = process.env.SPG_WEB_ARTIFACTS || '.';
const SERIAL = process.env.SPG_SERIAL || 'CK3001';
const REASON = process.env.SPG_REASON || '';
const USERS = {
  approver: ['gina', 'gina-pw'], // globex-approvers
  other: ['ada', 'ada-pw'], // acme-approvers: another customer's approver
  operator: ['carol', 'carol-pw'], // support-admins: privileged, an operator in the console
};
let failures = 0;

function check(what, ok, detail) {
  console.log((ok ? 'PASS: ' : 'FAIL: ') + what + (detail !== undefined ? ' (' + detail + ')' : ''));
  if (!ok) failures++;
}

// node's own HTTPS requests, with a cookie jar of one cookie
async function request(method, p, { cookie, csrf, body, type } = {}) {
  const headers = {};
  if (cookie) headers.Cookie = cookie;
  if (csrf) headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = type || 'application/json';
  const res = await fetch(URL_BASE + p, {
    method, headers, body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
    redirect: 'manual',
  });
  let json = null;
  const text = await res.text();
  try { json = JSON.parse(text); } catch (e) { json = null; }
  return { status: res.status, headers: res.headers, json, setCookies: res.headers.getSetCookie() };
}

async function login(who) {
  const [user, password] = USERS[who];
  const r = await request('POST', '/api/login', { body: { user, password } });
  const set = r.setCookies[0] || '';
  return { r, set, cookie: set.split(';')[0], csrf: r.json && r.json.csrf };
}

async function attacks() {
  const form = await request('POST', '/api/login', { body: 'user=gina&password=gina-pw',
    type: 'application/x-www-form-urlencoded' });
  check('a cross-site form post (not application/json) cannot log in: 400', form.status === 400, form.status);
  const wrong = await request('POST', '/api/login', { body: { user: 'gina', password: 'wrong' } });
  check('a wrong password is refused with a sentence: 401', wrong.status === 401 && /wrong password/.test(wrong.json.message),
    wrong.status + ' ' + (wrong.json && wrong.json.message));
  const g = await login('approver');
  check('gina (globex-approvers) logs in through the API', g.r.status === 200 && g.cookie.startsWith('spgate_session='),
    g.r.status);
  check('the session cookie is Secure; HttpOnly; SameSite=Strict; Path=/',
    /; Secure/.test(g.set) && /; HttpOnly/.test(g.set) && /; SameSite=Strict/.test(g.set) && /; Path=\//.test(g.set), g.set.replace(/=[0-9a-f]{64}/, '=…'));
  check('the login answer holds no API token', g.r.json && g.r.json.token === undefined);
  const h = g.r.headers;
  check("every answer has a CSP without inline script and frame-ancestors 'none'",
    /default-src 'self'/.test(h.get('content-security-policy')) && !/unsafe-inline/.test(h.get('content-security-policy')) &&
    /frame-ancestors 'none'/.test(h.get('content-security-policy')), h.get('content-security-policy'));
  check('HSTS, nosniff, no-referrer, no-store on the API', /max-age=/.test(h.get('strict-transport-security')) &&
    h.get('x-content-type-options') === 'nosniff' && h.get('referrer-policy') === 'no-referrer' &&
    h.get('cache-control') === 'no-store' && h.get('x-frame-options') === 'DENY');
  const page = await request('GET', '/');
  check('the page itself carries the CSP and HSTS too', page.status === 200 &&
    /frame-ancestors 'none'/.test(page.headers.get('content-security-policy')) && !!page.headers.get('strict-transport-security'));
  const trav = await request('GET', '/../../etc/passwd');
  const trav2 = await request('GET', '/%2e%2e/%2e%2e/etc/passwd');
  check('no path leaves the static directory (404)', trav.status === 404 && trav2.status === 404, trav.status + ' ' + trav2.status);

  const pend = await request('GET', '/api/pending', { cookie: g.cookie });
  const mine = pend.json && pend.json.sessions ? pend.json.sessions.filter((s) => s.serial === SERIAL) : [];
  check("gina's pending list has bob's request to " + SERIAL, mine.length === 1 && mine[0].user === 'bob', JSON.stringify(mine.map((s) => s.id)));
  const id = mine.length ? mine[0].id : 0;
  const noCsrf = await request('POST', '/api/approve', { cookie: g.cookie, body: { id } });
  check('an approve without the CSRF token is refused: 403', noCsrf.status === 403, noCsrf.status + ' ' + (noCsrf.json && noCsrf.json.message));
  const a = await login('other');
  check('ada (acme-approvers) logs in', a.r.status === 200);
  const crossCsrf = await request('POST', '/api/approve', { cookie: g.cookie, csrf: a.csrf, body: { id } });
  check("an approve with another session's CSRF token is refused: 403", crossCsrf.status === 403, crossCsrf.status);
  const noCookie = await request('POST', '/api/approve', { csrf: g.csrf, body: { id } });
  check('an approve without the cookie is refused: 401', noCookie.status === 401, noCookie.status);
  const adaPend = await request('GET', '/api/pending', { cookie: a.cookie });
  check('ada, the approver of another customer, sees no globex request', adaPend.status === 200 &&
    adaPend.json.sessions.every((s) => s.customer !== 'globex'), JSON.stringify(adaPend.json && adaPend.json.sessions.length));
  const adaApprove = await request('POST', '/api/approve', { cookie: a.cookie, csrf: a.csrf, body: { id, comment: 'not mine' } });
  check("ada cannot approve globex's request: 403 in words", adaApprove.status === 403 && /not an approver/.test(adaApprove.json.message),
    adaApprove.status + ' ' + (adaApprove.json && adaApprove.json.message));
  const adaAudit = await request('GET', '/api/audit', { cookie: a.cookie });
  check("an approver cannot read the audit trail: 403", adaAudit.status === 403, adaAudit.status);
  const adaGateways = await request('GET', '/api/gateways', { cookie: a.cookie });
  check("nor list the gateway hosts: 403", adaGateways.status === 403, adaGateways.status);
  const after = await request('GET', '/api/pending', { cookie: g.cookie });
  check('the refused attempts changed nothing: the request still waits', after.json &&
    after.json.sessions.some((s) => s.id === id && s.approval === 'pending'));
  return id;
}

// A screenshot of the page down to the end of what it shows (small PNGs for docs/img too).
async function shotPage(page, name) {
  const bottom = await page.evaluate(() => {
    let b = 0;
    for (const e of document.querySelectorAll('header, main > *:not([hidden]), dialog[open]')) {
      b = Math.max(b, e.getBoundingClientRect().bottom);
    }
    return Math.ceil(b);
  });
  const vp = page.viewportSize();
  await page.screenshot({ path: path.join(ART, name), clip: { x: 0, y: 0, width: vp.width, height: Math.min(vp.height, bottom + 24) } });
}

async function browserLogin(browser, who, shotName) {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.goto(URL_BASE + '/');
  await page.waitForSelector('#login-form', { state: 'visible', timeout: 10000 });
  if (shotName) await shotPage(page, shotName);
  await page.fill('#login-user', USERS[who][0]);
  await page.fill('#login-password', USERS[who][1]);
  await page.press('#login-password', 'Enter'); // keyboard: Enter submits
  await page.waitForSelector('#me:not([hidden])', { timeout: 10000 });
  return { ctx, page };
}

async function approverPhase(browser) {
  const id = await attacks();
  const { page } = await browserLogin(browser, 'approver', 'login.png');
  const row = page.locator('#pending-rows tr', { hasText: SERIAL });
  await row.first().waitFor({ timeout: 10000 });
  const text = await row.first().innerText();
  check("the page shows bob's request with his reason, the ports and the duration",
    text.includes('bob') && text.includes(REASON) && text.includes('tcp:7000') && /\d+ (h|min)/.test(text), text.replace(/\s+/g, ' '));
  await shotPage(page, 'requests.png');
  await page.setViewportSize({ width: 390, height: 844 }); // a phone
  await shotPage(page, 'requests-phone.png');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check('on a phone-sized screen the page does not scroll sideways (the table scrolls in its box)', overflow <= 0, overflow);
  await page.setViewportSize({ width: 1280, height: 800 });
  await row.first().getByRole('button', { name: /^Approve session/ }).click();
  await page.waitForSelector('#confirm[open]', { timeout: 5000 });
  check('approving asks for confirmation first (a dialog with a comment)', await page.isVisible('#confirm-comment'));
  await shotPage(page, 'approve-confirm.png');
  await page.fill('#confirm-comment', 'approved in the browser test');
  await page.click('#confirm-ok');
  await page.waitForSelector('#notice:not([hidden])', { timeout: 10000 });
  const notice = await page.innerText('#notice');
  check('the page says the session was approved', /approved/.test(notice), notice);
  await page.click('nav button[data-view="sessions"]');
  const live = page.locator('#sessions-rows tr', { hasText: SERIAL });
  let active = false;
  for (let i = 0; i < 40 && !active; i++) {
    const t = (await live.count()) ? await live.first().innerText() : '';
    active = /\bactive\b/.test(t);
    if (!active) await page.waitForTimeout(1000);
  }
  check('the approver sees the live session (active), refreshed without a reload', active);
  await shotPage(page, 'approver-sessions.png');
  fs.writeFileSync(path.join(ART, 'approved-id'), String(id));
}

async function operatorPhase(browser) {
  const { page: adaPage } = await browserLogin(browser, 'other');
  await adaPage.waitForTimeout(1500);
  const adaPending = await adaPage.innerText('#view-pending');
  await adaPage.click('nav button[data-view="sessions"]');
  await adaPage.waitForTimeout(1500);
  const adaSessions = await adaPage.innerText('#view-sessions');
  await adaPage.click('nav button[data-view="recordings"]');
  await adaPage.waitForTimeout(1000);
  const adaRecs = await adaPage.innerText('#view-recordings');
  check('in the browser, the other customer\'s approver sees nothing of globex',
    ![adaPending, adaSessions, adaRecs].some((t) => t.includes(SERIAL) || t.includes('globex')));
  await shotPage(adaPage, 'other-approver.png');

  const { page } = await browserLogin(browser, 'operator');
  const live = page.locator('#sessions-rows tr', { hasText: SERIAL });
  await live.first().waitFor({ timeout: 10000 });
  const before = await live.first().innerText();
  check('the operator sees the live session with its counters', /\bactive\b/.test(before) && /\d+ \/ \d+/.test(before),
    before.replace(/\s+/g, ' '));
  await shotPage(page, 'operator-sessions.png');
  await page.click('nav button[data-view="lines"]');
  await page.locator('#lines-rows tr').first().waitFor({ timeout: 10000 });
  check('the operator sees the lines and their states', (await page.innerText('#lines-rows')).includes('net1'));
  await shotPage(page, 'lines.png');

  await page.click('nav button[data-view="gateways"]');
  await page.locator('#gateways-rows tr').first().waitFor({ timeout: 10000 });
  const gw = await page.innerText('#gateways-rows');
  check('the operator sees the gateway hosts: this one, alive', gw.includes('(this host)') && gw.includes('alive'));
  await shotPage(page, 'gateways.png');
  await page.click('nav button[data-view="audit"]');
  await page.fill('#audit-form input[name="action"]', 'approve');
  await page.press('#audit-form input[name="action"]', 'Enter');
  await page.waitForTimeout(1500);
  const audit = await page.innerText('#audit-rows');
  check("the audit trail, filtered on 'approve', has gina's approval with her comment",
    audit.includes('gina') && audit.includes('approved in the browser test') && !audit.includes('\tlogin\t'), audit.split('\n')[0]);
  await shotPage(page, 'audit.png');

  await page.click('nav button[data-view="sessions"]');
  await live.first().getByRole('button', { name: /^Disconnect/ }).click();
  await page.waitForSelector('#confirm[open]', { timeout: 5000 });
  await page.click('#confirm-cancel');
  await page.waitForTimeout(500);
  check('cancelling the disconnect dialog leaves the session up', /\bactive\b/.test(await live.first().innerText()));
  await live.first().getByRole('button', { name: /^Disconnect/ }).click();
  await page.waitForSelector('#confirm[open]', { timeout: 5000 });
  await page.click('#confirm-ok');
  await page.waitForSelector('#notice:not([hidden])', { timeout: 10000 });
  check('the operator disconnects it after confirming', /disconnected/.test(await page.innerText('#notice')));

  const c = await login('operator');
  const ok = await request('GET', '/api/me', { cookie: c.cookie });
  const out = await request('POST', '/api/logout', { cookie: c.cookie, csrf: c.csrf, body: {} });
  const again = await request('GET', '/api/me', { cookie: c.cookie });
  check('logout revokes the session: the same cookie is refused afterwards (200, then 401)',
    ok.status === 200 && out.status === 200 && again.status === 401, ok.status + ' ' + out.status + ' ' + again.status);
}

// After the session ended: gina downloads its sealed recording from the recordings page;
// ada (another customer's approver) cannot, not even by its id.
async function recordingPhase(browser) {
  const a = await login('other');
  const { page } = await browserLogin(browser, 'approver');
  await page.click('nav button[data-view="recordings"]');
  const row = page.locator('#recordings-rows tr', { hasText: SERIAL });
  let text = '';
  for (let i = 0; i < 30 && !/complete/.test(text); i++) {
    if (i) { await page.waitForTimeout(1000); await page.click('nav button[data-view="recordings"]'); }
    text = (await row.count()) ? await row.first().innerText() : '';
  }
  check("gina's recordings page lists the session's recording, complete and sealed", /complete/.test(text) && /\byes\b/.test(text),
    text.replace(/\s+/g, ' '));
  await shotPage(page, 'recordings.png');
  const link = row.first().getByRole('link', { name: /^Download recording/ });
  const id = (await link.getAttribute('href')).replace(/.*id=/, '');
  const adaGet = await request('GET', '/api/recording?id=' + id, { cookie: a.cookie });
  check("ada cannot download globex's recording by its id (404)", adaGet.status === 404, adaGet.status);
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), link.click()]);
  await dl.saveAs(path.join(ART, 'recording.p7m'));
  check('gina downloads it as ' + dl.suggestedFilename(), /^recording-\d+\.pcapng\.p7m$/.test(dl.suggestedFilename()));
}

async function main() {
  const phase = process.argv[2];
  fs.mkdirSync(ART, { recursive: true });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    if (phase === 'approver') await approverPhase(browser);
    else if (phase === 'operator') await operatorPhase(browser);
    else if (phase === 'recording') await recordingPhase(browser);
    else throw new Error('phase is approver, operator or recording, not ' + phase);
  } catch (e) {
    check('the ' + phase + ' phase runs to its end', false, e.message.split('\n')[0]);
  } finally {
    await browser.close();
  }
  process.exit(failures ? 1 : 0);
}

main();
