// Shared building blocks for the views: DOM helpers, formatting in the site's time zone, and the widgets more than
// one view draws (a point's value with its quality, a valve's position, the shutoff's step table).
//
// Every piece of text from the server goes into the page as a text node (never through innerHTML), so a device
// named "<script>" shows as that text and runs nothing, and the page needs no inline script or style, as the
// API's Content-Security-Policy `default-src 'self'` requires.

import { t, tOr } from '../i18n.js';

// ---------------------------------------------------------------------------------------------------------- DOM

/**
 * Creates an element. `attrs` keys: `class`, `dataset` (object), `on<event>` (listener), DOM properties such as
 * `disabled` or `checked` (set as properties), anything else as an attribute. Children may be nodes, strings,
 * numbers, arrays or null (skipped).
 */
export function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs ?? {})) {
        if (value == null || value === false) continue;
        if (key === 'class') el.className = value;
        else if (key === 'dataset') Object.assign(el.dataset, value);
        else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
        else if (typeof value !== 'string' && key in el) el[key] = value;
        else el.setAttribute(key, value === true ? '' : String(value));
    }
    append(el, children);
    return el;
}

function append(el, children) {
    for (const child of children) {
        if (child == null || child === false) continue;
        if (Array.isArray(child)) append(el, child);
        else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
}

/** Sets text only when it changed, so screen readers and selections are not disturbed every 2 s. */
export function setText(el, text) {
    const s = text == null ? '' : String(text);
    if (el.textContent !== s) el.textContent = s;
}

/** Replaces an element's children (used for small parts that hold no buttons). */
export function setChildren(el, ...children) {
    el.replaceChildren();
    append(el, children);
}

/**
 * Keeps `container`'s children in step with `items`, keyed by `keyOf(item)`: existing elements are updated in place
 * and moved, new ones created, missing ones removed. Buttons therefore survive the 2-second refresh, and a click
 * that lands while a status arrives is not lost.
 */
export function syncList(container, items, keyOf, create, update) {
    const existing = new Map();
    for (const el of container.children) {
        if (el.dataset.key != null) existing.set(el.dataset.key, el);
    }
    const seen = new Set();
    let previous = null;
    for (const item of items) {
        const key = String(keyOf(item));
        if (seen.has(key)) continue;  // a duplicate id from the server must not break the list
        seen.add(key);
        let el = existing.get(key);
        if (!el) {
            el = create(item);
            el.dataset.key = key;
        }
        update(el, item);
        const expected = previous ? previous.nextSibling : container.firstChild;
        if (expected !== el) container.insertBefore(el, expected);
        previous = el;
    }
    for (const [key, el] of existing) if (!seen.has(key)) el.remove();
}

/** Adds the `prefix-<value>` class for one value of an enumeration, removing the class of any other value. */
export function setVariant(el, prefix, value) {
    for (const cls of [...el.classList]) {
        if (cls.startsWith(prefix + '-')) el.classList.remove(cls);
    }
    if (value != null && value !== '') el.classList.add(`${prefix}-${cssToken(value)}`);
}

function cssToken(s) {
    return String(s).replace(/[^A-Za-z0-9_-]/g, '_');
}

// --------------------------------------------------------------------------------------------------- formatting

let siteZone;  // IANA zone from SiteStatus.timeZone: times are shown as the plant reads its clocks
const formatters = new Map();

/** Sets the zone every time is shown in; an unknown zone falls back to the browser's own. */
export function setTimeZone(zone) {
    if (zone === siteZone) return;
    try {
        new Intl.DateTimeFormat('en-GB', { timeZone: zone });
        siteZone = zone;
    } catch {
        siteZone = undefined;
    }
    formatters.clear();
}

function formatter(kind) {
    let f = formatters.get(kind);
    if (!f) {
        const base = { timeZone: siteZone, hourCycle: 'h23' };
        const options = {
            time: { ...base, hour: '2-digit', minute: '2-digit', second: '2-digit' },
            hm: { ...base, hour: '2-digit', minute: '2-digit' },
            // Swedish formats as ISO-like "2026-11-23 08:15:00", the same in both languages.
            datetime: { ...base, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
                second: '2-digit' },
            dayhm: { ...base, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' },
        }[kind];
        f = new Intl.DateTimeFormat(kind === 'datetime' || kind === 'dayhm' ? 'sv-SE' : 'en-GB', options);
        formatters.set(kind, f);
    }
    return f;
}

/** Parses an ISO 8601 string from the API; null for null, undefined or garbage. */
export function parseDate(s) {
    if (s == null) return null;
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? null : d;
}

export function fmtTime(value) {
    const d = value instanceof Date ? value : parseDate(value);
    return d ? formatter('time').format(d) : '—';
}

export function fmtDateTime(value) {
    const d = value instanceof Date ? value : parseDate(value);
    return d ? formatter('datetime').format(d) : '—';
}

/** A chart tick: "08:15" for spans within a day, "11-23 08:15" beyond. */
export function fmtTick(ms, spanMs) {
    const d = new Date(ms);
    return spanMs > 26 * 3600e3 ? formatter('dayhm').format(d) : formatter('hm').format(d);
}

/** A duration for people: "45 s", "12 min", "1 h 05 min", "2 d 3 h". */
export function fmtDuration(seconds) {
    if (seconds == null || !Number.isFinite(seconds)) return '—';
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return t('unit.seconds', { n: s });
    const m = Math.floor(s / 60);
    if (m < 60) return t('unit.minutes', { n: m });
    const hrs = Math.floor(m / 60);
    if (hrs < 48) return t('unit.hoursMinutes', { h: hrs, m: String(m % 60).padStart(2, '0') });
    return t('unit.daysHours', { d: Math.floor(hrs / 24), h: hrs % 24 });
}

/** A measured value with a sensible number of decimals for a control-room screen. */
export function fmtNumber(v) {
    if (v == null || !Number.isFinite(v)) return '—';
    const a = Math.abs(v);
    const digits = a >= 1000 ? 0 : a >= 10 ? 1 : 2;
    return v.toFixed(digits);
}

/** Seconds with one decimal, for stroke and step times. */
export function fmtSeconds(s) {
    return s == null || !Number.isFinite(s) ? '—' : `${s.toFixed(1)} s`;
}

// ------------------------------------------------------------------------------------------------------ quality

/** Worst first, so that a device's summary quality is its worst point's. */
const QUALITY_RANK = { good: 0, initial: 1, stale: 2, 'out-of-range': 3, 'bad-config': 4, 'comm-fail': 5 };

export function worstQuality(points) {
    let worst = null;
    for (const p of points) {
        const q = p?.quality ?? 'initial';
        if (worst == null || (QUALITY_RANK[q] ?? 6) > (QUALITY_RANK[worst] ?? 6)) worst = q;
    }
    return worst ?? 'initial';
}

export function qualityWord(q) {
    return tOr(`quality.${q}`, q);
}

/** Points that are on/off signals: drawn as chips that light up, not as numbers. */
const BOOLEAN_POINTS = new Set([
    'fault', 'alarm1', 'alarm2', 'running', 'remote', 'local', 'state', 'open_limit', 'closed_limit',
    'fan_running', 'torque_trip', 'spark', 'airlock_fault',
]);

export function isBooleanPoint(point) {
    return BOOLEAN_POINTS.has(point.name) && (point.unit ?? '') === '';
}

/** The readable name of a point ("浓度" for concentration); unknown names show as they are. */
export function pointLabel(name) {
    return tOr(`point.${name}`, name);
}

/**
 * A point's value for the screen. A good value is a plain number; any other quality shows the quality word in
 * its place, with the last value and its read time only as small grey context, so a stale or failed reading can
 * never pass for a current one.
 */
export function pointValue() {
    const el = h('span', { class: 'pv' }, h('span', { class: 'pv-v' }), h('span', { class: 'pv-u' }),
        h('span', { class: 'pv-last' }));
    return el;
}

export function updatePointValue(el, point) {
    const [v, u, last] = el.children;
    const q = point.quality ?? 'initial';
    el.dataset.quality = q;
    setVariant(el, 'q', q);
    el.classList.toggle('q-bad', q !== 'good');
    if (q === 'good' && point.value != null) {
        setText(v, fmtNumber(point.value));
        setText(u, point.unit ?? '');
        setText(last, '');
        el.title = t('point.readAt', { time: fmtTime(point.readAt) });
    } else {
        setText(v, qualityWord(q));
        setText(u, '');
        setText(last, q === 'initial' ? '' : point.value != null
            ? t('point.lastValue', { value: `${fmtNumber(point.value)} ${point.unit ?? ''}`.trim(),
                time: fmtTime(point.readAt) })
            : t('point.noReading'));
        el.title = '';
    }
}

/** An on/off point as a chip: lit when on, dim when off, hatched with its quality word when not good. */
export function pointChip() {
    return h('span', { class: 'chip' }, h('span', { class: 'chip-name' }), h('span', { class: 'chip-q' }));
}

export function updatePointChip(el, point) {
    const [name, qual] = el.children;
    const q = point.quality ?? 'initial';
    const on = q === 'good' && point.value != null && point.value !== 0;
    setText(name, pointLabel(point.name));
    setText(qual, q === 'good' ? (on ? t('bool.on') : t('bool.off')) : qualityWord(q));
    el.dataset.quality = q;
    el.classList.toggle('q-bad', q !== 'good');
    el.classList.toggle('chip-on', on);
    // A lit fault or alarm bit is abnormal; a lit "running" or "remote" is not.
    el.classList.toggle('chip-abnormal', on && /fault|alarm|trip|spark/.test(point.name));
}

// -------------------------------------------------------------------------------------------------------- valves

const LIMIT_POINTS = ['open_limit', 'closed_limit'];
/** Points a valve's summary already says: not repeated as their own rows. */
export const VALVE_SIGNAL_POINTS = new Set(['open_limit', 'closed_limit', 'remote', 'local', 'fault', 'torque_trip']);

/**
 * The quality behind a valve's position: its limit switches' worst quality (or the device's worst, when the
 * configuration names no limit points). A position read from failed switches is shown as that failure.
 */
export function valveQuality(device) {
    const limits = device.points.filter((p) => LIMIT_POINTS.includes(p.name));
    return worstQuality(limits.length ? limits : device.points);
}

/** The latest read time of any of a device's points: when the device last told us something. */
export function lastRead(device) {
    let latest = null;
    for (const p of device.points ?? []) {
        const d = parseDate(p.readAt);
        if (d && (!latest || d > latest)) latest = d;
    }
    return latest;
}

/** A valve's position and mode. The position comes from `valve.position` (limit switches), never a command. */
export function valveBadge() {
    return h('div', { class: 'valve' },
        h('span', { class: 'valve-pos' }),
        h('span', { class: 'valve-mode' }),
        h('span', { class: 'valve-pending' }),
        h('span', { class: 'valve-fault' }));
}

export function updateValveBadge(el, device) {
    const v = device.valve;
    const [pos, mode, pending, fault] = el.children;
    const q = valveQuality(device);
    pos.dataset.position = v.position;
    pos.dataset.quality = q;
    setVariant(pos, 'pos', v.position);
    pos.classList.toggle('q-bad', q !== 'good');
    if (q === 'good') {
        setText(pos, tOr(`position.${v.position}`, v.position));
    } else {
        // e.g. "通讯故障 (上次: 关)": the last known position is context, not the state.
        setText(pos, t('valve.positionUnsure', { quality: qualityWord(q),
            position: tOr(`position.${v.position}`, v.position) }));
    }
    mode.dataset.mode = v.mode;
    setVariant(mode, 'mode', v.mode);
    setText(mode, tOr(`mode.${v.mode}`, v.mode));
    // A command waiting for its limit switch is said as such: "commanded: close", never "closed".
    setText(pending, v.pending ? t('valve.pending', { target: tOr(`target.${v.pending}`, v.pending) }) : '');
    pending.hidden = !v.pending;
    const faults = [];
    if (v.faultBit) faults.push(t('valve.faultBit'));
    if (v.movementFault) faults.push(v.movementFault);
    setText(fault, faults.join(' · '));
    fault.hidden = faults.length === 0;
}

// ------------------------------------------------------------------------------------------------- step table

/**
 * The table that follows a plan step by step (main view and drill view). Why a step failed, or what the bus said,
 * is written under its device in red rather than in a column of its own, so the table fits the side panel.
 */
export function stepTable() {
    const body = h('tbody');
    const table = h('table', { class: 'steps' },
        h('caption', { class: 'sr-only' }, t('steps.caption')),
        h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, t('steps.operation')),
            h('th', { scope: 'col' }, t('steps.device')),
            h('th', { scope: 'col' }, t('steps.phase')),
            h('th', { scope: 'col', class: 'num' }, t('steps.attempts')),
            h('th', { scope: 'col', class: 'num' }, t('steps.seconds')))),
        body);
    const empty = h('p', { class: 'muted steps-empty' }, t('steps.none'));
    const summary = h('p', { class: 'steps-summary' });
    return { el: h('div', { class: 'steps-wrap' }, summary, table, empty), body, empty, summary, table };
}

/** Fills a step table from `defence.steps`; `devices` names each device. */
export function updateStepTable(widget, steps, devices) {
    const list = steps ?? [];
    widget.empty.hidden = list.length > 0;
    widget.table.hidden = list.length === 0;
    const byId = new Map((devices ?? []).map((d) => [d.id, d]));
    syncList(widget.body, list, (s) => s.id,
        () => h('tr', {},
            h('td'),
            h('td', {}, h('span', { class: 'step-name' }), ' ', h('span', { class: 'dev-id' }),
                h('div', { class: 'detail' })),
            h('td', {}, h('span', { class: 'phase' })),
            h('td', { class: 'num' }),
            h('td', { class: 'num' })),
        (row, s) => {
            const [op, dev, phase, attempts, secs] = row.children;
            const [name, id, detail] = dev.querySelectorAll('.step-name, .dev-id, .detail');
            setText(op, tOr(`operation.${s.operation}`, s.operation || '—'));
            setText(name, byId.get(s.device)?.name ?? '');
            setText(id, s.device);
            const why = s.failedReason ?? s.lastError ?? '';
            setText(detail, why);
            detail.hidden = !why;
            const chip = phase.firstChild;
            chip.dataset.phase = s.phase;
            setVariant(chip, 'phase', s.phase);
            setText(chip, tOr(`phase.${s.phase}`, s.phase));
            setText(attempts, s.attempts ?? 0);
            setText(secs, fmtSeconds(s.seconds));
            row.dataset.phase = s.phase;
            row.dataset.device = s.device;
        });
    const count = (phase) => list.filter((s) => s.phase === phase).length;
    setText(widget.summary, list.length
        ? t('steps.summary', { done: count('confirmed'), total: list.length, failed: count('failed'),
            manual: count('manualActionNeeded') })
        : '');
}

/** Device lines in the order the water flows, with their section titles. */
export const LINES = ['risk-unit', 'network-pool', 'boundary', 'park'];
export function lineName(line) {
    return tOr(`line.${line}`, line);
}
