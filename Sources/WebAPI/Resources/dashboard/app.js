// The dashboard's shell: login, the user's role, the router, the live state every view draws from, the alarm
// banner with its sound, and the announcements screen readers hear.
//
// State flows one way: the live feed (or a poll) delivers a SiteStatus, `applyStatus` stores it and works out what
// changed (a new critical alarm, the latch, a step's phase), then the current view's `update(state)` redraws.
// Commands go out through `ctx.command`, which shows the daemon's answer or refusal, and the next status shows
// their effect: nothing on screen is ever assumed from a command alone.
//
// A park (园区) instance's status has `park`: only then is the park view offered. `links` (the MQTT link to the park,
// the HJ 212 uplink to the bureau) shows in the header when the daemon has them.

import { api, ApiError, LiveFeed, getToken, setToken, clearToken, onUnauthorized } from './api.js';
import { t, tOr, getLang, setLang, applyStatic, onLangChange, said, loadServerMessages } from './i18n.js';
import { h, setText, setChildren, setVariant, setTimeZone, fmtTime, fmtDateTime } from './views/common.js';
import * as mainView from './views/main.js';
import * as alarmsView from './views/alarms.js';
import * as trendsView from './views/trends.js';
import * as drillView from './views/drill.js';
import * as bureauView from './views/bureau.js';
import * as parkView from './views/park.js';
import { acknowledge, isUnacknowledged } from './views/alarms.js';
import { linkWord, resultWord, pendingByCatchment, catchmentName, BAD_RESULTS } from './views/park.js';

const ROUTES = { main: mainView, alarms: alarmsView, trends: trendsView, drill: drillView, bureau: bureauView,
    park: parkView };
/** What a `viewer` token may see: the bureau's read-only page, nothing that commands. */
const VIEWER_ROUTES = new Set(['bureau']);
/** A status older than this (no stream and no poll got through) is shown as not current. */
const STALE_MS = 10_000;
const JOURNAL_LIMIT = 500;

/** Everything the views read. */
const state = {
    status: null,
    statusAt: 0,         // Date.now() when the last status arrived
    user: null,
    role: null,          // 'viewer' | 'operator' | 'admin' | 'unknown'
    conn: 'connecting',
    journal: [],         // newest first
};

const $ = (id) => document.getElementById(id);
let feed = null;
let current = null;      // { name, view }
let seenCritical = null; // keys of critical unacknowledged alarms already announced
let audio = null;        // AudioContext, created when the user turns sound on
let beeps = 0;

// ------------------------------------------------------------------------------------------------------- start

function boot() {
    applyStatic();
    setText($('lang-toggle'), t('app.langSwitch'));
    $('lang-toggle').addEventListener('click', () => setLang(getLang() === 'zh' ? 'en' : 'zh'));
    onLangChange(() => {
        setText($('lang-toggle'), t('app.langSwitch'));
        renderChrome();
        if (current) mountRoute();
        if (state.status) applyStatus(state.status, true);
    });
    $('sound-toggle').addEventListener('click', toggleSound);
    $('logout').addEventListener('click', () => logout());
    $('login-form').addEventListener('submit', onLogin);
    window.addEventListener('hashchange', () => {
        if (state.role) {
            mountRoute();
            $('view').focus({ preventScroll: true });
        }
    });
    onUnauthorized(() => logout(state.role ? t('login.expired') : t('login.invalid')));
    setInterval(tick, 1000);
    renderChrome();
    if (getToken()) start();
    else showLogin();
}

function showLogin(message) {
    document.body.classList.add('logged-out');
    $('login').hidden = false;
    $('app').hidden = true;
    setText($('login-error'), message ?? '');
    $('login-token').value = '';
    $('login-token').focus();
}

async function onLogin(e) {
    e.preventDefault();
    const token = $('login-token').value.trim();
    if (!token) return;
    setToken(token);
    await start();
}

function logout(message) {
    feed?.stop();
    feed = null;
    current?.view.unmount();
    current = null;
    $('view').replaceChildren();
    clearToken();
    Object.assign(state, { status: null, statusAt: 0, user: null, role: null, journal: [] });
    seenCritical = null;
    showLogin(message);
}

/** After a token is entered (or kept from this tab's session): learn the role, load the status, go live. */
async function start() {
    setText($('login-error'), t('login.checking'));
    try {
        const me = await api('/api/v1/whoami');
        state.user = me?.user ?? null;
        state.role = ['viewer', 'operator', 'admin'].includes(me?.role) ? me.role : 'viewer';
    } catch (e) {
        if (e.status === 401) return;  // onUnauthorized has shown the login form with its message
        if (e.status === 0) {
            showLogin(t('login.unreachable'));
            clearToken();
            return;
        }
        // No whoami (an older server): the commands are still checked by the server, which answers 403.
        state.role = 'unknown';
        console.warn('levee: GET /api/v1/whoami failed; role unknown', e);
    }
    await loadServerMessages();
    try {
        applyStatus(await api('/api/v1/status'));
    } catch (e) {
        if (e.status === 401) return;
        toast(t('err.statusFailed', { error: describeError(e) }), 'error');
    }
    document.body.classList.remove('logged-out');
    $('login').hidden = true;
    $('app').hidden = false;
    renderChrome();
    mountRoute();
    feed = new LiveFeed({
        onStatus: (s) => applyStatus(s),
        onJournal: (ev) => {
            mergeJournal([ev]);
            current?.view.update(state);
        },
        onState: (conn) => {
            const was = state.conn;
            state.conn = conn;
            renderConn();
            if (was !== conn && (conn === 'offline' || was === 'offline')) announce(t(`conn.${conn}`));
        },
    });
    feed.start();
}

// ------------------------------------------------------------------------------------------------------ router

function parseHash() {
    const hash = location.hash.replace(/^#\/?/, '');
    const [path, query] = hash.split('?');
    return { name: path || 'main', params: new URLSearchParams(query ?? '') };
}

function allowed(name) {
    if (state.role === 'viewer') return VIEWER_ROUTES.has(name);
    // The park view only on a park instance (or before the first status has told).
    if (name === 'park') return !state.status || !!state.status.park;
    return name in ROUTES;
}

function mountRoute() {
    let { name, params } = parseHash();
    if (!(name in ROUTES) || !allowed(name)) {
        name = state.role === 'viewer' ? 'bureau' : 'main';
        history.replaceState(null, '', `#/${name === 'main' ? '' : name}`);
    }
    current?.view.unmount();
    const root = $('view');
    root.replaceChildren();
    root.dataset.view = name;
    const view = ROUTES[name].mount(root, makeContext(params));
    current = { name, view };
    for (const a of document.querySelectorAll('#nav a')) {
        if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
    }
    document.title = `${t(`nav.${name}`)} · ${state.status?.siteName ?? 'Levee'}`;
    if (state.status) view.update(state);
}

/** What a view may use: the state, the API, and the app's ways to speak to the user. */
function makeContext(params) {
    return {
        state,
        params,
        canCommand: state.role !== 'viewer',
        api,
        command,
        describeError,
        toast,
        announce,
        mergeJournal,
        refreshStatus,
    };
}

// ------------------------------------------------------------------------------------------------- live state

function applyStatus(status, redrawOnly = false) {
    if (!redrawOnly) {
        const previous = state.status;
        state.status = status;
        state.statusAt = Date.now();
        setTimeZone(status.timeZone);
        noticeChanges(previous, status);
        // The park view of an instance that stopped being a park (a restart with another configuration).
        if (current?.name === 'park' && !status.park) {
            mountRoute();
            return;
        }
    }
    renderChrome();
    renderBanner();
    tick();
    current?.view.update(state);
}

async function refreshStatus() {
    try {
        applyStatus(await api('/api/v1/status'));
    } catch {
        // the feed keeps trying; nothing to add here
    }
}

function mergeJournal(events) {
    const byKey = new Map(state.journal.map((e) => [journalKey(e), e]));
    for (const e of events) byKey.set(journalKey(e), e);
    state.journal = [...byKey.values()]
        .sort((a, b) => (Date.parse(b.at) - Date.parse(a.at)) || ((b.id ?? 0) - (a.id ?? 0)))
        .slice(0, JOURNAL_LIMIT);
}

function journalKey(e) {
    return e.id != null ? `#${e.id}` : `${e.at}|${e.source}|${e.message}`;
}

/**
 * Announces what changed between two statuses, and sounds a new critical alarm or a park's new escalation waiting
 * for confirmation. The messages of one status are spoken together: two announcements in a row would cut each
 * other off.
 */
function noticeChanges(before, after) {
    const urgent = [];
    const polite = [];
    let sound = false;   // a new critical alarm, or an escalation waiting for an operator
    const d0 = before?.defence;
    const d1 = after.defence;
    if (before && !!d0?.latched !== !!d1?.latched) {
        urgent.push(d1?.latched ? t('announce.latched', { plan: d1.plan ?? '' }) : t('announce.unlatched'));
    }
    if (before && !d0?.escalated && d1?.escalated) urgent.push(t('defence.escalated'));
    const phases = new Map((d0?.steps ?? []).map((s) => [s.id, s.phase]));
    for (const s of d1?.steps ?? []) {
        if (before && phases.get(s.id) !== s.phase && s.phase !== 'waiting') {
            const text = t('announce.step', { operation: tOr(`operation.${s.operation}`, s.operation),
                device: s.device, phase: tOr(`phase.${s.phase}`, s.phase) });
            (s.phase === 'failed' || s.phase === 'manualActionNeeded' ? urgent : polite).push(text);
        }
    }

    // Alarms: a critical unacknowledged one not seen before sounds (if sound is on) and is announced at once.
    const critical = (after.alarms ?? []).filter((a) => a.priority === 'critical' && isUnacknowledged(a));
    const keys = new Set(critical.map((a) => `${a.id}|${a.since ?? ''}`));
    if (seenCritical) {
        const fresh = critical.filter((a) => !seenCritical.has(`${a.id}|${a.since ?? ''}`));
        if (fresh.length) {
            urgent.unshift(...fresh.map((a) => t('announce.critical', { message: said(a.text, a.message) })));
            sound = true;
        }
    }
    seenCritical = keys;
    const oldIds = new Set((before?.alarms ?? []).map((a) => a.id));
    for (const a of after.alarms ?? []) {
        if (before && !oldIds.has(a.id) && a.priority !== 'critical') {
            const text = t('announce.alarm', { priority: tOr(`priority.${a.priority}`, a.priority),
                message: said(a.text, a.message) });
            (a.priority === 'high' ? urgent : polite).push(text);
        }
    }

    if (noticePark(before, after, urgent, polite)) sound = true;
    if (sound && audio) beep();
    if (urgent.length) announce(urgent.join('; '), true);
    if (polite.length) announce(polite.join('; '));
}

/**
 * A park's changes: a new escalation waiting for confirmation (true: it needs an operator, so it sounds), a plant's
 * link changing, and a command's answer (refused, failed or none is urgent).
 */
function noticePark(before, after, urgent, polite) {
    const p0 = before?.park;
    const p1 = after.park;
    if (!before || !p1) return false;
    let needsOperator = false;
    const key = (x) => `${x.catchment}|${x.plant}|${x.at}`;
    const old = new Set((p0?.pendingConfirmations ?? []).map(key));
    const names = new Map((p1.plants ?? []).map((p) => [p.id, p.name]));
    for (const x of p1.pendingConfirmations ?? []) {
        if (old.has(key(x))) continue;
        urgent.push(t('announce.parkPending', { catchment: catchmentName(after.park, x.catchment), plan: x.plan,
            plant: names.get(x.plant) ?? x.plant, reason: x.reason }));
        needsOperator = true;
    }
    const links = new Map((p0?.plants ?? []).map((p) => [p.id, p.link]));
    for (const p of p1.plants ?? []) {
        const was = links.get(p.id);
        if (was != null && was !== p.link) {
            (p.link === 'online' ? polite : urgent).push(t('announce.plantLink', { plant: p.name,
                link: linkWord(p.link) }));
        }
    }
    const results = new Map((p0?.commands ?? []).map((c) => [c.id, c.result]));
    for (const c of p1.commands ?? []) {
        const was = results.get(c.id);
        if (was === c.result || (was == null && !BAD_RESULTS.has(c.result))) continue;
        (BAD_RESULTS.has(c.result) ? urgent : polite).push(t('announce.parkCommand', {
            op: tOr(`park.op.${c.op}`, c.op), plant: names.get(c.plant) ?? c.plant, result: resultWord(c.result) }));
    }
    return needsOperator;
}

// ------------------------------------------------------------------------------------------------------- chrome

function renderChrome() {
    const s = state.status;
    setText($('site-name'), s ? `${s.siteName}` : '');
    const viewer = state.role === 'viewer';
    const park = s?.park;
    for (const a of document.querySelectorAll('#nav a')) {
        a.hidden = viewer ? !VIEWER_ROUTES.has(a.dataset.route) : a.dataset.route === 'park' && !park;
    }
    // The park tab counts the catchments waiting for an operator's confirmation.
    const pending = park ? pendingByCatchment(park).length : 0;
    const count = $('park-pending-count');
    count.hidden = pending === 0;
    if (count.dataset.n !== String(pending) || count.dataset.lang !== getLang()) {
        count.dataset.n = String(pending);
        count.dataset.lang = getLang();
        setChildren(count, h('span', { 'aria-hidden': 'true' }, String(pending)),
            h('span', { class: 'sr-only' }, t('park.pendingCount', { n: pending })));
    }
    $('sound-toggle').hidden = viewer;
    const roleWord = state.role ? tOr(`role.${state.role}`, state.role) : '';
    setText($('user'), state.user ? `${state.user} · ${roleWord}` : roleWord);
    $('user').classList.toggle('warn', state.role === 'unknown');
    renderConn();
    renderLinks();
    renderSound();
}

/**
 * The plant's links, each only when the daemon has it: MQTT to the park, HJ 212 to the bureau, and the Modbus TCP
 * server the plant's DCS reads (who is connected, each one's last request, what was refused).
 */
function renderLinks() {
    const links = state.status?.links;
    const mqtt = links?.mqtt;
    const uplink = links?.uplink;
    const dcs = state.status?.dcs;
    $('links').hidden = !mqtt && !uplink && !dcs;

    const m = $('link-mqtt');
    m.hidden = !mqtt;
    if (mqtt) {
        m.dataset.state = mqtt.state;
        setVariant(m, 'health', mqtt.state === 'connected' ? (mqtt.dropped ? 'warn' : 'ok')
            : mqtt.state === 'connecting' ? 'warn' : 'bad');
        const parts = [t('links.mqtt'), tOr(`links.state.${mqtt.state}`, mqtt.state)];
        if (mqtt.queued) parts.push(t('links.queued', { n: mqtt.queued }));
        if (mqtt.dropped) parts.push(t('links.dropped', { n: mqtt.dropped }));
        setText(m, parts.join(' · '));
        m.title = [
            t('links.broker', { broker: mqtt.broker }),
            mqtt.acceptsCommands ? t('links.acceptsCommands', { parks: (mqtt.parks ?? []).join(', ') || '—' })
                : t('links.noCommands'),
            t('links.queuedDropped', { queued: mqtt.queued ?? 0, dropped: mqtt.dropped ?? 0 }),
            mqtt.lastError ? t('links.error', { error: mqtt.lastError }) : null,
        ].filter(Boolean).join('\n');
    }

    const u = $('link-uplink');
    u.hidden = !uplink;
    if (uplink) {
        u.dataset.state = uplink.connected ? 'connected' : 'disconnected';
        setVariant(u, 'health', !uplink.connected ? 'bad' : uplink.backlog ? 'warn' : 'ok');
        setText(u, [
            t('links.uplink'),
            uplink.connected ? t('links.state.connected') : t('links.state.disconnected'),
            t('links.backlog', { n: uplink.backlog ?? 0 }),
            uplink.lastAcknowledged ? t('links.lastAck', { time: fmtTime(uplink.lastAcknowledged) })
                : t('links.neverAck'),
        ].join(' · '));
        u.title = [
            t('links.server', { server: uplink.server }),
            uplink.lastAcknowledged ? t('links.lastAck', { time: fmtDateTime(uplink.lastAcknowledged) }) : null,
            uplink.lastError ? t('links.error', { error: uplink.lastError }) : null,
        ].filter(Boolean).join('\n');
    }

    const d = $('link-dcs');
    d.hidden = !dcs;
    if (dcs) {
        const clients = dcs.clients ?? [];
        const last = clients.map((c) => c.lastRequestAt).filter(Boolean).sort().pop();
        d.dataset.clients = String(clients.length);
        // No client: the DCS is not reading this plant, which its operators would not know from their own screen.
        setVariant(d, 'health', clients.length === 0 ? 'warn' : dcs.refusedWrites ? 'warn' : 'ok');
        setText(d, [
            t('links.dcs'),
            t('links.dcsClients', { n: clients.length }),
            last ? t('links.lastRequest', { time: fmtTime(last) }) : t('links.noRequest'),
            dcs.refusedWrites ? t('links.refusedWrites', { n: dcs.refusedWrites }) : null,
        ].filter(Boolean).join(' · '));
        d.title = [
            t('links.dcsListen', { listen: dcs.listen }),
            ...clients.map((c) => t('links.dcsClient', {
                address: c.address, requests: c.requests,
                last: c.lastRequestAt ? fmtDateTime(c.lastRequestAt) : t('links.noRequest'),
            })),
            t('links.dcsCounters', {
                refusedWrites: dcs.refusedWrites ?? 0, refusedConnections: dcs.refusedConnections ?? 0,
                dropped: dcs.droppedConnections ?? 0, coils: dcs.coilActions ?? 0,
            }),
        ].join('\n');
    }
}

function renderConn() {
    const el = $('conn');
    setVariant(el, 'conn', state.conn);
    setText(el, t(`conn.${state.conn}`));
}

/** Runs every second: the clock, and whether the values on screen are still current. */
function tick() {
    setText($('clock'), state.status ? fmtTime(new Date()) : '');
    const age = state.statusAt ? Date.now() - state.statusAt : 0;
    const stale = state.status != null && age > STALE_MS;
    document.body.classList.toggle('data-stale', stale);
    const banner = $('stale-banner');
    if (stale !== !banner.hidden) banner.hidden = !stale;
    if (stale) {
        setText(banner, t('app.staleData', { seconds: Math.round(age / 1000),
            time: fmtDateTime(state.status.generatedAt) }));
    }
}

/** The most urgent unacknowledged alarm (the daemon sends them most urgent first), on every view but the bureau's. */
function renderBanner() {
    const banner = $('alarm-banner');
    const alarms = (state.status?.alarms ?? []).filter(isUnacknowledged);
    if (state.role === 'viewer' || alarms.length === 0) {
        banner.hidden = true;
        banner.replaceChildren();
        return;
    }
    const a = alarms[0];
    // Rebuilt only when what it says changes, so its button is not replaced under a finger every 2 s.
    const text = said(a.text, a.message);
    const next = a.nextAction ? said(a.nextAction, '') : '';
    const signature = [getLang(), a.id, a.priority, a.state, a.since, text, next, alarms.length].join('|');
    if (!banner.hidden && banner.dataset.signature === signature) return;
    banner.dataset.signature = signature;
    banner.hidden = false;
    setVariant(banner, 'prio', a.priority);
    banner.dataset.alarm = a.id;
    banner.replaceChildren(
        h('span', { class: `prio prio-${a.priority}` }, tOr(`priority.${a.priority}`, a.priority)),
        h('span', { class: 'banner-message' }, text),
        next ? h('span', { class: 'banner-next next-action' }, t('alarms.nextAction', { action: next })) : null,
        h('span', { class: 'banner-meta' }, `${a.id} · ${fmtTime(a.since)}`,
            alarms.length > 1 ? ` · ${t('banner.more', { n: alarms.length - 1 })}` : ''),
        h('span', { class: 'banner-actions' },
            h('button', { type: 'button', class: 'btn btn-small', id: 'banner-ack',
                onclick: () => acknowledge(makeContext(new URLSearchParams()), a) }, t('alarms.ack')),
            h('a', { href: '#/alarms', class: 'btn btn-small' }, t('banner.all'))));
}

// -------------------------------------------------------------------------------------------------------- sound

/** Sound needs a user gesture before a browser lets a page play it, hence a toggle rather than a setting. */
async function toggleSound() {
    if (audio) {
        await audio.close();
        audio = null;
    } else {
        const Ctx = window.AudioContext ?? window.webkitAudioContext;
        if (!Ctx) {
            toast(t('sound.unsupported'), 'error');
            return;
        }
        audio = new Ctx();
        await audio.resume();
        beep(1);  // so the operator hears it works
    }
    renderSound();
    announce(audio ? t('sound.on') : t('sound.off'));
}

function renderSound() {
    const b = $('sound-toggle');
    b.setAttribute('aria-pressed', String(!!audio));
    b.classList.toggle('on', !!audio);
    setText(b, audio ? t('sound.on') : t('sound.off'));
    b.dataset.beeps = String(beeps);
}

/** A synthesized two-tone alert (no audio files): `count` pairs of 880/660 Hz. */
function beep(count = 3) {
    if (!audio) return;
    beeps++;
    $('sound-toggle').dataset.beeps = String(beeps);
    const start = audio.currentTime + 0.02;
    for (let i = 0; i < count * 2; i++) {
        const at = start + i * 0.22;
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = 'square';
        osc.frequency.value = i % 2 === 0 ? 880 : 660;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
        osc.connect(gain).connect(audio.destination);
        osc.start(at);
        osc.stop(at + 0.21);
    }
}

// -------------------------------------------------------------------------------------------- commands, messages

/**
 * Sends a command and tells the user the daemon's answer. Resolves with the ControlResponse, or null when it was
 * refused (403 "not permitted", 409 conflict, 400, 429, ...) or could not be sent; the refusal is shown.
 */
async function command(path, body, { assertive = false } = {}) {
    try {
        const response = await api(path, { method: 'POST', body });
        const message = response?.message == null ? t('cmd.done') : said(response.text, response.message);
        toast(message, 'ok');
        announce(message, assertive);
        return response ?? {};
    } catch (e) {
        if (e.status === 401) return null;
        const message = describeError(e);
        toast(message, 'error');
        announce(message, true);
        return null;
    }
}

function describeError(e) {
    if (!(e instanceof ApiError)) return String(e?.message ?? e);
    if (e.status === 0) return t('err.network');
    if (e.status === 403) return t('err.forbidden');
    const error = said(e.text, e.message);
    if (e.status === 429) return t('err.tooMany', { error });
    if (e.status === 409) return t('err.conflict', { error });
    return t('err.other', { status: e.status, error });
}

function toast(message, kind = 'info') {
    const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
        h('span', {}, message),
        h('button', { type: 'button', class: 'btn btn-small toast-close', 'aria-label': t('app.close'),
            onclick: () => el.remove() }, '×'));
    $('toasts').append(el);
    setTimeout(() => el.remove(), kind === 'error' ? 15_000 : 6_000);
}

/** Speaks a change through the aria-live regions: assertive for what needs action now. */
function announce(message, assertive = false) {
    const region = $(assertive ? 'live-assertive' : 'live-polite');
    // Clearing first makes a repeated message be read again.
    region.textContent = '';
    setTimeout(() => { region.textContent = message; }, 50);
}

boot();
