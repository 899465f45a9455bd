// The main view: the one-key shutoff with its latch, trips, escalation, bypasses and step-by-step progress, and the
// plant drawn as the three lines of defence the water flows through (risk units → network and pool → boundary →
// park), each device with its values and their qualities.

import { t, tOr, said } from '../i18n.js';
import {
    h, setText, setChildren, syncList, LINES, lineName, pointValue, updatePointValue, pointChip,
    updatePointChip, isBooleanPoint, pointLabel, valveBadge, updateValveBadge, VALVE_SIGNAL_POINTS, stepTable,
    updateStepTable, fmtNumber, fmtDuration, fmtDateTime, worstQuality, qualityWord,
} from './common.js';
import { askReason } from './dialogs.js';

/** Lines whose valves the plant-wide plan commands (the daemon derives the exact steps). */
const PLAN_LINES = ['risk-unit', 'network-pool', 'boundary'];

export function mount(root, ctx) {
    const canCommand = ctx.canCommand;

    // ---- defence panel
    const shutoff = h('button', { id: 'shutoff-button', class: 'btn-shutoff', type: 'button',
        onclick: () => confirmShutoff(ctx) }, h('span', { class: 'shutoff-zh' }, t('shutoff.button')),
    h('span', { class: 'shutoff-sub' }, t('shutoff.buttonSub')));
    const latch = h('div', { class: 'latch', role: 'status' });
    const planLine = h('p', { class: 'plan-name' });
    const drillBadge = h('span', { class: 'badge badge-drill', hidden: true }, t('defence.drill'));
    const trips = h('ul', { class: 'trips' });
    const escalation = h('div', { class: 'escalation', hidden: true });
    const bypasses = h('div', { class: 'bypasses', hidden: true });
    const interlocks = h('div', { class: 'interlocks', hidden: true });
    const steps = stepTable();

    const resetBtn = h('button', { type: 'button', class: 'btn', id: 'reset-button',
        onclick: () => simpleCommand(ctx, '/api/v1/reset', t('defence.resetTitle'), t('defence.resetIntro')) },
    t('defence.reset'));
    const restoreBtn = h('button', { type: 'button', class: 'btn', id: 'restore-button',
        onclick: () => restoreCommand(ctx) },
    t('defence.restore'));
    const escalateBtn = h('button', { type: 'button', class: 'btn btn-warn', id: 'escalate-button',
        onclick: () => simpleCommand(ctx, '/api/v1/escalate', t('defence.escalateTitle'),
            t('defence.escalateIntro'), true) },
    t('defence.escalate'));
    const silenceBtn = h('button', { type: 'button', class: 'btn', id: 'silence-button',
        onclick: () => ctx.command('/api/v1/alarms/silence', {}) }, t('alarms.silence'));

    const panel = h('section', { class: 'panel defence', 'aria-labelledby': 'defence-title' },
        h('h2', { id: 'defence-title' }, t('defence.title'), ' ', drillBadge),
        canCommand ? shutoff : null,
        latch, planLine, trips, escalation, bypasses, interlocks,
        canCommand ? h('div', { class: 'defence-actions' }, resetBtn, restoreBtn, escalateBtn, silenceBtn) : null,
        h('h3', { id: 'progress-title' }, t('defence.progress')),
        h('div', { id: 'plan-progress', class: 'progress' }, steps.el));

    // ---- plant diagram: one column per line, in the order the water flows
    const columns = new Map();
    const diagram = h('div', { class: 'plant', role: 'region', 'aria-label': t('main.diagram') });
    for (const line of LINES) {
        const list = h('div', { class: 'devices' });
        const empty = h('p', { class: 'muted' }, t('main.noDevices'));
        const parkNote = line === 'park' ? h('p', { class: 'park-note' }) : null;
        const col = h('section', { class: `line line-${line}`, dataset: { line } },
            h('h2', {}, lineName(line)), parkNote, list, empty);
        columns.set(line, { col, list, empty, parkNote });
        diagram.append(col);
    }

    const summary = h('p', { class: 'site-summary' });
    const historian = h('p', { class: 'warn-line', hidden: true });
    root.append(h('div', { class: 'view-main' },
        h('h1', { class: 'sr-only' }, t('nav.main')),
        summary, historian,
        h('div', { class: 'main-grid' }, panel, diagram)));

    function update(state) {
        const s = state.status;
        if (!s) return;
        setText(summary, said(s.summaryText, s.summary));
        historian.hidden = s.historian?.healthy !== false;
        setText(historian, t('main.historianFault', { error: s.historian?.lastError ?? '—',
            buffered: s.historian?.bufferedReadings ?? 0, dropped: s.historian?.droppedReadings ?? 0 }));

        // Defence state.
        const d = s.defence;
        const latched = !!d?.latched;
        latch.classList.toggle('latched', latched);
        setText(latch, latched ? t('defence.latched') : t('defence.notLatched'));
        drillBadge.hidden = !d?.drill && !d?.activeDrill;
        setText(planLine, d?.plan ? t('defence.plan', { plan: d.plan }) : '');
        setChildren(trips, (d?.trips ?? []).map((x, i) => h('li', {}, t('defence.trip'), ' ', said(d.tripTexts?.[i], x))));
        escalation.hidden = !d?.escalated;
        setChildren(escalation, h('strong', {}, t('defence.escalated')),
            h('ul', {}, (d?.escalations ?? []).map((e, i) => h('li', {}, said(d.escalationTexts?.[i], e)))));
        bypasses.hidden = !(d?.bypasses?.length);
        setChildren(bypasses, h('strong', {}, t('defence.bypasses')),
            h('ul', {}, (d?.bypasses ?? []).map((b) => h('li', {},
                t('defence.bypass', { interlock: b.interlock, until: fmtDateTime(b.until), by: b.by,
                    reason: b.reason })))));
        const activeInterlocks = (d?.interlocks ?? []).filter((i) => i.active);
        interlocks.hidden = activeInterlocks.length === 0;
        setChildren(interlocks, h('strong', {}, t('defence.interlocksActive')),
            h('ul', {}, activeInterlocks.map((i) => h('li', {}, `${i.id}: ${i.description ?? i.point} → ${i.plan}`))));
        updateStepTable(steps, d?.steps, s.devices);
        resetBtn.disabled = !latched;
        restoreBtn.disabled = latched;

        // Devices by line.
        for (const line of LINES) {
            const c = columns.get(line);
            const devices = s.devices.filter((dev) => dev.line === line);
            c.empty.hidden = devices.length > 0 || line === 'park';
            syncList(c.list, devices, (dev) => dev.id, (dev) => deviceCard(dev, ctx), updateDeviceCard);
            if (c.parkNote) {
                c.parkNote.classList.toggle('escalated', !!d?.escalated);
                setText(c.parkNote, d?.escalated ? t('main.parkEscalated') : t('main.parkNotEscalated'));
            }
        }
    }

    return { update, unmount() {} };
}

// --------------------------------------------------------------------------------------------------- device card

function deviceCard(device, ctx) {
    const valve = device.valve ? valveBadge() : null;
    const pool = device.pool ? poolBlock() : null;
    let actions = null;
    if (device.valve && ctx.canCommand) {
        const open = h('button', { type: 'button', class: 'btn btn-small valve-open',
            onclick: () => valveCommand(ctx, device, 'open') }, t('valve.open'));
        const close = h('button', { type: 'button', class: 'btn btn-small valve-close',
            onclick: () => valveCommand(ctx, device, 'close') }, t('valve.close'));
        actions = h('div', { class: 'device-actions' }, open, close);
    }
    const card = h('article', { class: `device kind-${device.kind}`,
        dataset: { device: device.id, line: device.line, kind: device.kind } },
    h('header', {},
        h('span', { class: 'comm', role: 'img' }),
        h('span', { class: 'dev-name' }, device.name),
        h('span', { class: 'dev-id' }, device.id)),
    valve, pool,
    h('dl', { class: 'points' }),
    h('div', { class: 'chips' }),
    h('p', { class: 'dev-error' }),
    actions);
    card._parts = { valve, pool, actions, points: card.querySelector('.points'), chips: card.querySelector('.chips'),
        comm: card.querySelector('.comm'), error: card.querySelector('.dev-error') };
    return card;
}

function updateDeviceCard(card, device) {
    const p = card._parts;
    card.classList.toggle('not-answering', !device.answering);
    p.comm.classList.toggle('down', !device.answering);
    p.comm.setAttribute('aria-label', device.answering ? t('device.answering') : t('device.notAnswering'));
    p.comm.title = device.answering ? t('device.answering') : t('device.notAnswering');
    setText(p.error, device.answering ? '' : (device.lastError ?? t('device.notAnswering')));
    p.error.hidden = device.answering;

    if (p.valve && device.valve) {
        updateValveBadge(p.valve, device);
        if (p.actions) {
            const local = device.valve.mode === 'local';
            for (const b of p.actions.children) {
                b.disabled = local;
                b.title = local ? t('valve.localNoRemote') : '';
            }
        }
    }
    if (p.pool && device.pool) updatePoolBlock(p.pool, device);

    // Analog values as rows, on/off signals as chips; a valve's limit and mode signals are already in its badge.
    const shown = device.points.filter((pt) => !(device.valve && VALVE_SIGNAL_POINTS.has(pt.name)));
    syncList(p.points, shown.filter((pt) => !isBooleanPoint(pt)), (pt) => pt.name,
        (pt) => h('div', { class: 'point', dataset: { point: `${device.id}.${pt.name}` } },
            h('dt', {}, pointLabel(pt.name)), h('dd', {}, pointValue())),
        (row, pt) => {
            updatePointValue(row.lastChild.firstChild, pt);
            row.dataset.quality = pt.quality;
        });
    syncList(p.chips, shown.filter(isBooleanPoint), (pt) => pt.name, () => pointChip(), updatePointChip);
}

/** The accident pool: how full, how much room is left, and when it will be full at the present rate. */
function poolBlock() {
    const fill = h('div', { class: 'pool-fill' });
    return h('div', { class: 'pool' },
        h('div', { class: 'pool-bar', role: 'img' }, fill),
        h('dl', { class: 'pool-figures' },
            h('dt', {}, t('pool.volume')), h('dd', { class: 'pool-volume' }),
            h('dt', {}, t('pool.free')), h('dd', { class: 'pool-free' }),
            h('dt', {}, t('pool.rate')), h('dd', { class: 'pool-rate' }),
            h('dt', {}, t('pool.untilFull')), h('dd', { class: 'pool-full' })));
}

function updatePoolBlock(el, device) {
    const pool = device.pool;
    // The pool's figures are derived from the level, so they are only as current as the level reading.
    const q = worstQuality(device.points.filter((pt) => !isBooleanPoint(pt)));
    el.dataset.quality = q;
    el.classList.toggle('q-bad', q !== 'good');
    const bar = el.querySelector('.pool-bar');
    const fill = el.querySelector('.pool-fill');
    const ratio = pool.capacity ? Math.min(1, Math.max(0, pool.volume / pool.capacity)) : null;
    fill.style.height = ratio == null ? '0%' : `${(ratio * 100).toFixed(1)}%`;  // CSSOM, allowed by the CSP
    fill.classList.toggle('high', ratio != null && ratio >= 0.7);
    bar.setAttribute('aria-label', ratio == null ? t('pool.unknownCapacity') :
        t('pool.percentFull', { p: Math.round(ratio * 100) }));
    const bad = q !== 'good';
    const m3 = (v) => (v == null ? '—' : `${fmtNumber(v)} m³`);
    setText(el.querySelector('.pool-volume'), bad ? qualityWord(q) :
        pool.capacity ? `${m3(pool.volume)} / ${m3(pool.capacity)}` : m3(pool.volume));
    setText(el.querySelector('.pool-free'), bad ? '—' : m3(pool.freeVolume));
    setText(el.querySelector('.pool-rate'), bad || pool.fillRate == null ? '—' :
        `${pool.fillRate > 0 ? '+' : ''}${fmtNumber(pool.fillRate)} m³/h`);
    const full = el.querySelector('.pool-full');
    const soon = !bad && pool.secondsUntilFull != null && pool.secondsUntilFull < 3600;
    full.classList.toggle('urgent', soon);
    setText(full, bad ? '—' : pool.secondsUntilFull == null ? t('pool.notFilling') :
        fmtDuration(pool.secondsUntilFull));
}

// -------------------------------------------------------------------------------------------------- commands

/** The one-key shutoff: shows what the plan will command, asks for a reason, then trips it. */
async function confirmShutoff(ctx) {
    const s = ctx.state.status;
    const valves = (s?.devices ?? []).filter((d) => d.valve && PLAN_LINES.includes(d.line));
    const effect = h('div', { class: 'shutoff-effect' },
        h('p', {}, t('shutoff.effectIntro')),
        PLAN_LINES.map((line) => {
            const list = valves.filter((d) => d.line === line);
            if (!list.length) return null;
            return h('section', {}, h('h3', {}, lineName(line)), h('ul', {}, list.map((d) => {
                const local = d.valve.mode === 'local';
                return h('li', { class: local ? 'effect-local' : '' },
                    `${d.name} (${d.id}) — ${tOr(`position.${d.valve.position}`, d.valve.position)}, ` +
                    tOr(`mode.${d.valve.mode}`, d.valve.mode),
                    local ? h('strong', {}, ' ',
                        said({ id: 'next.local', args: { subject: d.id } }, t('shutoff.localWarning'))) : null);
            })));
        }),
        valves.length ? null : h('p', { class: 'warn-line' }, t('shutoff.noValves')),
        h('p', { class: 'muted' }, t('shutoff.effectNote')));
    const answer = await askReason({
        id: 'shutoff-dialog', title: t('shutoff.confirmTitle'), body: effect, danger: true,
        confirmText: t('shutoff.confirm'),
        fields: [{ name: 'plan', label: t('shutoff.planLabel'), type: 'text', value: '',
            placeholder: 'plant-wide' }],
    });
    if (!answer) return;
    const body = { reason: answer.reason };
    if (answer.plan.trim()) body.plan = answer.plan.trim();
    const response = await ctx.command('/api/v1/shutoff', body, { assertive: true });
    if (response) {
        ctx.refreshStatus();
        document.getElementById('plan-progress')?.scrollIntoView({ block: 'nearest' });
    }
}

async function simpleCommand(ctx, path, title, intro, danger = false) {
    const answer = await askReason({ title, intro, danger });
    if (!answer) return;
    if (await ctx.command(path, { reason: answer.reason })) ctx.refreshStatus();
}

/**
 * Restore: first the daemon's dry run (what restore will command each device to, what it holds closed and why,
 * what it leaves for a decision), shown in the dialog; only then the reason and the confirmation. The table lists
 * the commands, the target states, never the current positions, so nobody mistakes one for the other.
 */
async function restoreCommand(ctx) {
    const preview = await ctx.command('/api/v1/restore', { dryRun: true });
    if (!preview) return;
    const items = preview.restore?.items ?? [];
    const names = new Map((ctx.state.status?.devices ?? []).map((d) => [d.id, d.name]));
    const table = h('table', { class: 'restore-preview', id: 'restore-preview' },
        h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, t('restore.device')), h('th', { scope: 'col' }, t('restore.target')),
            h('th', { scope: 'col' }, t('restore.action')), h('th', { scope: 'col' }, t('restore.why')))),
        h('tbody', {}, items.map((i) => h('tr', { 'data-device': i.device, 'data-action': i.action },
            h('td', {}, names.has(i.device) ? `${names.get(i.device)} (${i.device})` : i.device),
            h('td', { class: 'restore-target', 'data-target': i.target ?? '' },
                i.target ? tOr(`restore.state.${i.target}`, i.target) : '—'),
            h('td', { class: 'restore-action' }, tOr(`restore.do.${i.action}`, i.action)),
            h('td', { class: 'restore-why' }, (i.reasons ?? []).join('; '))))));
    const body = h('div', { class: 'table-wrap' },
        items.length ? table : h('p', { class: 'warn-line' }, t('restore.nothing')));
    const answer = await askReason({ title: t('defence.restoreTitle'), intro: t('defence.restoreIntro'), body,
        id: 'restore-dialog' });
    if (!answer) return;
    if (await ctx.command('/api/v1/restore', { reason: answer.reason })) ctx.refreshStatus();
}

async function valveCommand(ctx, device, action) {
    const answer = await askReason({
        title: t(action === 'open' ? 'valve.openTitle' : 'valve.closeTitle', { name: device.name, id: device.id }),
        intro: t('valve.commandIntro'), danger: action === 'open',
    });
    if (!answer) return;
    const path = `/api/v1/valves/${encodeURIComponent(device.id)}/${action}`;
    if (await ctx.command(path, { reason: answer.reason })) ctx.refreshStatus();
}

