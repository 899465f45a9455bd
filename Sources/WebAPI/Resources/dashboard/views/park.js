// The park view (#/park), on a park (园区) instance only: its plants grouped by catchment, each with the state of
// its MQTT link, its shutoff latch, its escalation and every outlet's measured position; the escalations waiting
// for an operator to confirm the catchment's plan; and the commands the park sent to plants with their answers.
//
// Nothing here is assumed: a position is the plant's limit switches' as the plant last reported it. When the plant
// is not online (stale, offline by its last will, never heard) or the position's quality is not good, the position
// is shown as that state, grey and hatched, with the last known position only as context ("离线（上次：关）"),
// never as a bare "关". The plant cards are also used, read-only, by the bureau view.

import { t, tOr } from '../i18n.js';
import { h, setText, setChildren, syncList, setVariant, lineName, qualityWord, fmtDateTime, fmtDuration, parseDate }
    from './common.js';
import { askReason } from './dialogs.js';

/** Command results that need someone to look: highlighted in the list and announced. */
export const BAD_RESULTS = new Set(['refused', 'failed', 'no answer']);
/** The commands list shows the newest this many. */
const COMMANDS_SHOWN = 100;

export function linkWord(link) {
    return tOr(`park.link.${link}`, link);
}

export function resultWord(result) {
    return tOr(`park.result.${result}`, result);
}

/** Whether what a plant last reported is current: only while its link is online. */
export function plantCurrent(plant) {
    return plant.link === 'online';
}

/** "latched", "drill-latched", "drill", "normal" or "unknown" (never reported). */
export function latchState(plant) {
    if (plant.latched == null && plant.drill == null) return 'unknown';
    if (plant.latched) return plant.drill ? 'drill-latched' : 'latched';
    return plant.drill ? 'drill' : 'normal';
}

/** A catchment as people know it: its configured name, else its id (an older leveed sends no names). */
export function catchmentName(park, id) {
    return park?.catchmentNames?.[id] ?? id;
}

/** Pending confirmations by catchment, in the order they came: `[[catchment, [pending…]]…]`. */
export function pendingByCatchment(park) {
    const groups = new Map();
    for (const p of park?.pendingConfirmations ?? []) {
        if (!groups.has(p.catchment)) groups.set(p.catchment, []);
        groups.get(p.catchment).push(p);
    }
    return [...groups];
}

function plantsByCatchment(park) {
    const groups = new Map();
    for (const p of park?.plants ?? []) {
        if (!groups.has(p.catchment)) groups.set(p.catchment, []);
        groups.get(p.catchment).push(p);
    }
    return [...groups];
}

function plantName(park, id) {
    const p = (park?.plants ?? []).find((x) => x.id === id);
    return p ? `${p.name} (${p.id})` : id;
}

// ------------------------------------------------------------------------------------------------- plant cards

/**
 * The plants grouped by catchment, one card each. Read-only (no buttons): the park view and the bureau view both
 * use it. `update(status)` redraws from a SiteStatus that has `park`.
 */
export function plantCards() {
    const list = h('div', { class: 'park-catchments' });
    const empty = h('p', { class: 'muted', hidden: true }, t('park.noPlants'));
    return {
        el: h('div', { class: 'park-plants' }, list, empty),
        update(status) {
            const groups = plantsByCatchment(status.park);
            empty.hidden = groups.length > 0;
            syncList(list, groups, ([catchment]) => catchment,
                ([catchment]) => h('section', { class: 'catchment', dataset: { catchment } },
                    h('h3', { class: 'catchment-name' }), h('div', { class: 'plant-grid' })),
                (section, [catchment, plants]) => {
                    const online = plants.filter(plantCurrent).length;
                    setText(section.firstChild,
                        t('park.catchment', { name: catchmentName(status.park, catchment), n: plants.length, online }));
                    syncList(section.lastChild, plants, (p) => p.id, plantCard,
                        (card, p) => updatePlantCard(card, p, status));
                });
        },
    };
}

function plantCard(plant) {
    const outletBody = h('tbody');
    const outlets = h('table', { class: 'outlets' },
        h('caption', { class: 'sr-only' }),
        h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, t('park.outlet')),
            h('th', { scope: 'col' }, t('park.position')),
            h('th', { scope: 'col' }, t('park.mode')),
            h('th', { scope: 'col' }, t('park.quality')))),
        outletBody);
    const card = h('article', { class: 'plant-card', dataset: { plant: plant.id } },
        h('header', {},
            h('span', { class: 'plant-name' }),
            h('span', { class: 'dev-id plant-id' }),
            h('span', { class: 'plant-link' })),
        h('p', { class: 'plant-seen' }),
        h('div', { class: 'plant-state' },
            h('span', { class: 'latch plant-latch' }),
            h('span', { class: 'plant-plan' })),
        h('div', { class: 'escalation plant-escalation', hidden: true }),
        h('p', { class: 'plant-summary muted' }),
        outlets,
        h('p', { class: 'muted plant-no-outlets', hidden: true }, t('park.noOutlets')));
    card._parts = {
        name: card.querySelector('.plant-name'), id: card.querySelector('.plant-id'),
        link: card.querySelector('.plant-link'), seen: card.querySelector('.plant-seen'),
        latch: card.querySelector('.plant-latch'), plan: card.querySelector('.plant-plan'),
        escalation: card.querySelector('.plant-escalation'), summary: card.querySelector('.plant-summary'),
        outlets, outletBody, caption: outlets.querySelector('caption'),
        noOutlets: card.querySelector('.plant-no-outlets'),
    };
    return card;
}

function updatePlantCard(card, plant, status) {
    const p = card._parts;
    const current = plantCurrent(plant);
    card.dataset.link = plant.link;
    setVariant(card, 'plant-link', plant.link);
    card.classList.toggle('link-bad', !current);
    setText(p.name, plant.name);
    setText(p.id, plant.id);
    setText(p.caption, t('park.outletsOf', { name: plant.name }));

    // The link: online plain green; anything else grey, hatched and said in words.
    p.link.dataset.link = plant.link;
    setVariant(p.link, 'link', plant.link);
    p.link.classList.toggle('q-bad', !current);
    setText(p.link, linkWord(plant.link));

    const seen = parseDate(plant.lastSeen);
    const now = parseDate(status.generatedAt) ?? new Date();
    setText(p.seen, seen
        ? t('park.lastSeen', { time: fmtDateTime(seen), ago: fmtDuration((now - seen) / 1000) })
        : t('park.neverSeen'));
    p.seen.classList.toggle('warn', !current);

    // The latch as the plant last reported it; not current unless the plant is online.
    const latch = latchState(plant);
    p.latch.dataset.latch = latch;
    p.latch.classList.toggle('latched', latch === 'latched' || latch === 'drill-latched');
    p.latch.classList.toggle('drill', latch === 'drill' || latch === 'drill-latched');
    p.latch.classList.toggle('q-bad', !current);
    const latchText = t(`park.latch.${latch}`);
    setText(p.latch, current || latch === 'unknown' ? latchText : t('park.lastKnown', { state: latchText }));
    setText(p.plan, plant.plan ? t('defence.plan', { plan: plant.plan }) : '');

    p.escalation.hidden = !plant.escalated;
    p.escalation.classList.toggle('q-bad', !current);
    setText(p.escalation, plant.escalated
        ? (plant.escalationReason ? t('park.escalatedReason', { reason: plant.escalationReason })
            : t('defence.escalated'))
        : '');
    setText(p.summary, plant.summary ?? '');
    p.summary.hidden = !plant.summary;

    const outlets = plant.outlets ?? [];
    p.outlets.hidden = outlets.length === 0;
    p.noOutlets.hidden = outlets.length > 0;
    syncList(p.outletBody, outlets, (o) => o.device,
        () => h('tr', { class: 'outlet' },
            h('td', {}, h('span', { class: 'outlet-name' }), ' ', h('span', { class: 'dev-id' }),
                h('div', { class: 'outlet-line muted' })),
            h('td', {}, h('span', { class: 'valve-pos' })),
            h('td', {}, h('span', { class: 'valve-mode' })),
            h('td', {}, h('span', { class: 'quality' }))),
        (row, o) => updateOutletRow(row, o, plant));
}

/** One outlet: its measured position only when the plant is online and the quality good; otherwise why not. */
function updateOutletRow(row, outlet, plant) {
    const [nameCell, posCell, modeCell, qualityCell] = row.children;
    const [name, id, line] = nameCell.querySelectorAll('.outlet-name, .dev-id, .outlet-line');
    const current = plantCurrent(plant);
    const q = outlet.quality ?? 'stale';
    const trusted = current && q === 'good';
    row.dataset.device = outlet.device;
    row.dataset.position = outlet.position;
    row.dataset.quality = q;
    row.dataset.trusted = String(trusted);
    setText(name, outlet.name);
    setText(id, outlet.device);
    setText(line, outlet.line ? lineName(outlet.line) : '');

    const pos = posCell.firstChild;
    const word = tOr(`position.${outlet.position}`, outlet.position);
    // Why the position is not current: the plant's link first (a stale or offline plant's "good" means nothing).
    const why = current ? qualityWord(q) : linkWord(plant.link);
    pos.dataset.position = outlet.position;
    pos.dataset.quality = q;
    setVariant(pos, 'pos', outlet.position);
    pos.classList.toggle('q-bad', !trusted);
    setText(pos, trusted ? word : t('valve.positionUnsure', { quality: why, position: word }));

    const mode = modeCell.firstChild;
    mode.dataset.mode = outlet.mode;
    setVariant(mode, 'mode', outlet.mode);
    setText(mode, tOr(`mode.${outlet.mode}`, outlet.mode));

    const qual = qualityCell.firstChild;
    setVariant(qual, 'q', trusted ? 'good' : current ? q : 'link');
    qual.classList.toggle('q-bad', !trusted);
    setText(qual, why);
}

// ------------------------------------------------------------------------------------------------------- view

export function mount(root, ctx) {
    const summary = h('p', { class: 'site-summary park-summary' });
    const notPark = h('p', { class: 'muted', hidden: true }, t('park.notPark'));

    const pendingList = h('ul', { class: 'pending-list' });
    const pending = h('section', { class: 'park-pending', id: 'park-pending', role: 'region',
        'aria-labelledby': 'park-pending-title', hidden: true },
    h('h2', { id: 'park-pending-title' }, t('park.pendingTitle')),
    ctx.canCommand ? null : h('p', { class: 'muted' }, t('park.pendingReadOnly')),
    pendingList);

    const plants = plantCards();

    const commandsBody = h('tbody');
    const commandsEmpty = h('p', { class: 'muted', hidden: true }, t('park.commandsNone'));
    const commands = h('table', { class: 'park-commands', id: 'park-commands' },
        h('caption', { class: 'sr-only' }, t('park.commandsTitle')),
        h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, t('park.cmd.sentAt')),
            h('th', { scope: 'col' }, t('park.cmd.plant')),
            h('th', { scope: 'col' }, t('park.cmd.op')),
            h('th', { scope: 'col' }, t('park.cmd.plan')),
            h('th', { scope: 'col' }, t('park.cmd.result')),
            h('th', { scope: 'col' }, t('park.cmd.message')))),
        commandsBody);

    root.append(h('div', { class: 'view-park' },
        h('div', { class: 'view-head' }, h('h1', {}, t('park.title'))),
        summary, notPark, pending,
        h('section', { class: 'panel', 'aria-labelledby': 'park-plants-title' },
            h('h2', { id: 'park-plants-title' }, t('park.plantsTitle')), plants.el),
        h('section', { class: 'panel', 'aria-labelledby': 'park-commands-title' },
            h('h2', { id: 'park-commands-title' }, t('park.commandsTitle')),
            h('div', { class: 'table-wrap' }, commands), commandsEmpty)));

    function update(state) {
        const s = state.status;
        if (!s) return;
        const park = s.park;
        notPark.hidden = !!park;
        if (!park) return;
        const list = park.plants ?? [];
        const groups = pendingByCatchment(park);
        setText(summary, t('park.summary', { plants: list.length, online: list.filter(plantCurrent).length,
            pending: groups.length, time: fmtDateTime(s.generatedAt) }));

        // Escalations waiting for an operator, one entry (and one button) per catchment.
        pending.hidden = groups.length === 0;
        syncList(pendingList, groups, ([catchment]) => catchment,
            ([catchment]) => {
                const li = h('li', { class: 'pending', dataset: { catchment } },
                    h('div', { class: 'pending-text' },
                        h('strong', { class: 'pending-head' }),
                        h('ul', { class: 'pending-escalations' })));
                if (ctx.canCommand) {
                    li.append(h('button', { type: 'button', class: 'btn btn-danger park-confirm',
                        dataset: { catchment }, onclick: () => confirmCatchment(ctx, catchment) },
                    t('park.confirm')));
                }
                return li;
            },
            (li, [catchment, items]) => {
                const plans = [...new Set(items.map((x) => x.plan))].join(', ');
                setText(li.querySelector('.pending-head'),
                    t('park.pendingCatchment', { catchment: catchmentName(park, catchment), plan: plans }));
                setChildren(li.querySelector('.pending-escalations'), items.map((x) => h('li', {},
                    t('park.pendingItem', { plant: plantName(park, x.plant), reason: x.reason,
                        time: fmtDateTime(x.at) }))));
            });

        plants.update(s);

        // Commands, newest first as the daemon sends them.
        const cmds = (park.commands ?? []).slice(0, COMMANDS_SHOWN);
        commandsEmpty.hidden = cmds.length > 0;
        commands.hidden = cmds.length === 0;
        syncList(commandsBody, cmds, (c) => c.id,
            () => h('tr', {},
                h('td', { class: 'nowrap' }), h('td'), h('td'), h('td'),
                h('td', {}, h('span', { class: 'cmd-result' })), h('td')),
            (row, c) => {
                const [at, plant, op, plan, result, message] = row.children;
                row.dataset.command = c.id;
                row.dataset.plant = c.plant;
                row.dataset.result = c.result;
                row.classList.toggle('cmd-bad', BAD_RESULTS.has(c.result));
                setText(at, fmtDateTime(c.sentAt));
                setText(plant, plantName(park, c.plant));
                setText(op, tOr(`park.op.${c.op}`, c.op));
                setText(plan, c.plan ?? '—');
                const chip = result.firstChild;
                setVariant(chip, 'result', c.result);
                chip.classList.toggle('bad', BAD_RESULTS.has(c.result));
                setText(chip, resultWord(c.result));
                setText(message, c.message ?? '');
            });
    }

    return { update, unmount() {} };
}

// --------------------------------------------------------------------------------------------------- command

/**
 * Confirms a catchment's plan after a plant escalated: shows who escalated and which plants the park will command
 * (those not online marked), asks for a reason, then sends `park-confirm` to the daemon. The commands list then
 * shows each plant's answer as it comes.
 */
async function confirmCatchment(ctx, catchment) {
    const park = ctx.state.status?.park;
    const items = (park?.pendingConfirmations ?? []).filter((x) => x.catchment === catchment);
    if (!items.length) {
        ctx.toast(t('park.pendingGone', { catchment: catchmentName(ctx.state.status?.park, catchment) }), 'error');
        return;
    }
    const plan = [...new Set(items.map((x) => x.plan))].join(', ');
    const plants = (park.plants ?? []).filter((p) => p.catchment === catchment);
    const body = h('div', { class: 'shutoff-effect' },
        h('p', {}, t('park.confirmIntro', { catchment: catchmentName(ctx.state.status?.park, catchment), plan })),
        h('h3', {}, t('park.escalations')),
        h('ul', {}, items.map((x) => h('li', {}, t('park.pendingItem', { plant: plantName(park, x.plant),
            reason: x.reason, time: fmtDateTime(x.at) })))),
        h('h3', {}, t('park.confirmPlants')),
        plants.length
            ? h('ul', {}, plants.map((p) => h('li', { class: plantCurrent(p) ? '' : 'effect-local' },
                `${p.name} (${p.id}) — ${linkWord(p.link)}`,
                plantCurrent(p) ? null : h('strong', {}, ' ', t('park.confirmPlantNotOnline')))))
            : h('p', { class: 'warn-line' }, t('park.confirmNoPlants')));
    const answer = await askReason({
        id: 'park-confirm-dialog', body, danger: true,
        title: t('park.confirmTitle', { catchment: catchmentName(ctx.state.status?.park, catchment), plan }),
        confirmText: t('park.confirmButton'),
    });
    if (!answer) return;
    const response = await ctx.command('/api/v1/control', { op: 'park-confirm', catchment, reason: answer.reason },
        { assertive: true });
    if (response) {
        ctx.refreshStatus();
        document.getElementById('park-commands')?.scrollIntoView({ block: 'nearest' });
    }
}
