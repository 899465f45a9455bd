// The alarm list (most urgent first, as the daemon orders it) with acknowledge and shelve, and the event journal:
// the last hour loaded on entry, then each `journal` event from the live stream as it arrives.

import { t, tOr, said } from '../i18n.js';
import { h, setText, syncList, setVariant, fmtDateTime, fmtTime, fmtNumber } from './common.js';
import { askReason } from './dialogs.js';

const UNACKED = new Set(['unacknowledged', 'returned-unacknowledged']);
const NOT_SHELVABLE = new Set(['shelved', 'out-of-service', 'suppressed-by-design']);
/** Shelve durations offered; the daemon caps them at its `max_shelve_h`. */
const SHELVE_CHOICES = [900, 3600, 7200, 14400, 28800];

export function isUnacknowledged(alarm) {
    return UNACKED.has(alarm.state);
}

/** Acknowledges one alarm after asking why (also used by the alarm banner). */
export async function acknowledge(ctx, alarm) {
    const answer = await askReason({ title: t('alarms.ackTitle', { id: alarm.id }), intro: said(alarm.text, alarm.message) });
    if (!answer) return;
    if (await ctx.command(`/api/v1/alarms/${encodeURIComponent(alarm.id)}/ack`, { reason: answer.reason })) {
        ctx.refreshStatus();
    }
}

async function shelve(ctx, alarm) {
    const answer = await askReason({
        title: t('alarms.shelveTitle', { id: alarm.id }), intro: t('alarms.shelveIntro'),
        fields: [{ name: 'seconds', label: t('alarms.shelveFor'), type: 'select', value: '3600',
            options: SHELVE_CHOICES.map((s) => ({ value: String(s), label: t('alarms.hours', { n: s / 3600 }) })) }],
    });
    if (!answer) return;
    const body = { reason: answer.reason, seconds: Number(answer.seconds) };
    if (await ctx.command(`/api/v1/alarms/${encodeURIComponent(alarm.id)}/shelve`, body)) ctx.refreshStatus();
}

export function mount(root, ctx) {
    const count = h('p', { class: 'alarm-count' });
    const flood = h('p', { class: 'warn-line', hidden: true });
    const body = h('tbody');
    const empty = h('p', { class: 'muted', hidden: true }, t('alarms.none'));
    const table = h('table', { class: 'alarms', id: 'alarm-table' },
        h('caption', { class: 'sr-only' }, t('alarms.title')),
        h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, t('alarms.priority')),
            h('th', { scope: 'col' }, t('alarms.state')),
            h('th', { scope: 'col' }, t('alarms.alarm')),
            h('th', { scope: 'col' }, t('alarms.message')),
            h('th', { scope: 'col', class: 'num' }, t('alarms.value')),
            h('th', { scope: 'col' }, t('alarms.since')),
            h('th', { scope: 'col' }, t('alarms.note')),
            ctx.canCommand ? h('th', { scope: 'col' }, t('alarms.actions')) : null)),
        body);

    const journalBody = h('tbody');
    const journalEmpty = h('p', { class: 'muted' }, t('journal.loading'));
    const journal = h('table', { class: 'journal', id: 'journal-table' },
        h('caption', { class: 'sr-only' }, t('journal.title')),
        h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, t('journal.at')),
            h('th', { scope: 'col' }, t('journal.kind')),
            h('th', { scope: 'col' }, t('journal.source')),
            h('th', { scope: 'col' }, t('journal.message')))),
        journalBody);

    root.append(h('div', { class: 'view-alarms' },
        h('div', { class: 'view-head' },
            h('h1', {}, t('alarms.title')), count,
            ctx.canCommand ? h('button', { type: 'button', class: 'btn', id: 'silence-alarms',
                onclick: () => ctx.command('/api/v1/alarms/silence', {}) }, t('alarms.silence')) : null),
        flood,
        h('div', { class: 'table-wrap' }, table), empty,
        h('h2', {}, t('journal.title')),
        h('div', { class: 'table-wrap journal-wrap' }, journal), journalEmpty));

    // The journal of the last hour; later events arrive on the stream and are merged by the app.
    ctx.api('/api/v1/events?from=-1h&limit=200')
        .then((events) => {
            ctx.mergeJournal(Array.isArray(events) ? events : []);
            setText(journalEmpty, t('journal.none'));
            update(ctx.state);
        })
        .catch((e) => setText(journalEmpty, t('journal.failed', { error: ctx.describeError(e) })));

    function update(state) {
        const alarms = state.status?.alarms ?? [];
        const unacked = alarms.filter(isUnacknowledged).length;
        setText(count, t('alarms.count', { n: alarms.length, unacked, rate: state.status?.alarmRate ?? 0 }));
        flood.hidden = !((state.status?.alarmRate ?? 0) > 10);
        setText(flood, t('alarms.flood', { rate: state.status?.alarmRate ?? 0 }));
        empty.hidden = alarms.length > 0;
        table.hidden = alarms.length === 0;
        syncList(body, alarms, (a) => a.id, (a) => alarmRow(ctx), (row, a) => updateAlarmRow(row, a, ctx));

        const events = state.journal;
        journalEmpty.hidden = events.length > 0;
        syncList(journalBody, events, (e) => e.id ?? `${e.at}|${e.source}|${e.message}`,
            () => h('tr', {}, h('td', { class: 'nowrap' }), h('td'), h('td'), h('td')),
            (row, e) => {
                const [at, kind, source, message] = row.children;
                setText(at, fmtDateTime(e.at));
                setText(kind, e.drill ? `${e.kind} · ${t('defence.drill')}` : e.kind);
                setText(source, e.source);
                setText(message, said(e.text, e.message));
                row.classList.toggle('drill', !!e.drill);
            });
    }

    return { update, unmount() {} };
}

function alarmRow(ctx) {
    const ack = h('button', { type: 'button', class: 'btn btn-small alarm-ack' }, t('alarms.ack'));
    const shelveBtn = h('button', { type: 'button', class: 'btn btn-small alarm-shelve' }, t('alarms.shelve'));
    const row = h('tr', {},
        h('td', {}, h('span', { class: 'prio' })),
        h('td'), h('td', { class: 'alarm-id' }), h('td'), h('td', { class: 'num' }), h('td', { class: 'nowrap' }),
        h('td', { class: 'note' }),
        ctx.canCommand ? h('td', { class: 'actions' }, ack, shelveBtn) : null);
    // The row keeps the latest alarm, so the buttons act on what is on screen now.
    ack.addEventListener('click', () => acknowledge(ctx, row._alarm));
    shelveBtn.addEventListener('click', () => shelve(ctx, row._alarm));
    row._buttons = { ack, shelve: shelveBtn };
    return row;
}

function updateAlarmRow(row, a, ctx) {
    row._alarm = a;
    const [prio, state, id, message, value, since, note] = row.children;
    setVariant(row, 'row-prio', a.priority);  // not 'prio-…': that is the coloured chip
    row.classList.toggle('unacked', isUnacknowledged(a));
    row.classList.toggle('inactive', !a.conditionActive);
    const chip = prio.firstChild;
    setVariant(chip, 'prio', a.priority);
    setText(chip, tOr(`priority.${a.priority}`, a.priority));
    setText(state, tOr(`alarmState.${a.state}`, a.state) + (a.firstOut ? ` · ${t('alarms.firstOut')}` : ''));
    setText(id, a.id);
    // The alarm's text, and under it what to do now for a condition that stops the three lines of defence.
    const next = a.nextAction ? said(a.nextAction, '') : '';
    if (!message._text) {
        message._text = h('span', { class: 'alarm-text' });
        message._next = h('span', { class: 'next-action' });
        message.replaceChildren(message._text, message._next);
    }
    setText(message._text, said(a.text, a.message));
    setText(message._next, next ? t('alarms.nextAction', { action: next }) : '');
    message._next.hidden = !next;
    setText(value, a.value == null ? '—' : fmtNumber(a.value));
    setText(since, fmtDateTime(a.since));
    const notes = [];
    if (a.shelvedUntil) notes.push(t('alarms.shelvedUntil', { time: fmtTime(a.shelvedUntil) }));
    if (a.user) notes.push(a.reason ? `${a.user}: ${a.reason}` : a.user);
    setText(note, notes.join(' · '));
    if (ctx.canCommand) {
        row._buttons.ack.hidden = !isUnacknowledged(a);
        row._buttons.shelve.hidden = NOT_SHELVABLE.has(a.state);
    }
}
