// The bureau's read-only view (#/bureau): every valve and every outlet monitor with status, mode, quality and the
// time of the last reading, the shutoff's state, and the last drill. On a park instance, also every plant of the
// park with its link, latch and outlets (the park view's cards, which hold no buttons). A `viewer` token sees only
// this view; it has no command buttons at all.

import { t, tOr } from '../i18n.js';
import {
    h, setText, setChildren, syncList, setVariant, LINES, lineName, valveQuality, qualityWord, lastRead,
    fmtDateTime, fmtNumber, isBooleanPoint, pointLabel, worstQuality,
} from './common.js';
import { openReport, drillList } from './drill.js';
import { plantCards } from './park.js';

export function mount(root, ctx) {
    const site = h('p', { class: 'bureau-site' });
    const defence = h('p', { class: 'bureau-defence', role: 'status' });
    const body = h('tbody');
    const table = h('table', { class: 'bureau', id: 'bureau-table' },
        h('caption', { class: 'sr-only' }, t('bureau.title')),
        h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, t('bureau.line')),
            h('th', { scope: 'col' }, t('bureau.device')),
            h('th', { scope: 'col' }, t('bureau.status')),
            h('th', { scope: 'col' }, t('bureau.mode')),
            h('th', { scope: 'col' }, t('bureau.quality')),
            h('th', { scope: 'col' }, t('bureau.values')),
            h('th', { scope: 'col' }, t('bureau.lastRead')))),
        body);
    const drill = h('div', { class: 'bureau-drill', id: 'bureau-drill' }, h('p', { class: 'muted' },
        t('drill.loadingReports')));
    const plants = plantCards();
    const park = h('section', { class: 'panel bureau-park', id: 'bureau-park', hidden: true,
        'aria-labelledby': 'bureau-park-title' },
    h('h2', { id: 'bureau-park-title' }, t('bureau.parkTitle')), plants.el);

    root.append(h('div', { class: 'view-bureau' },
        h('div', { class: 'view-head' }, h('h1', {}, t('bureau.title')),
            h('span', { class: 'badge' }, t('bureau.readOnly'))),
        site, defence,
        h('div', { class: 'table-wrap' }, table),
        park,
        h('section', { class: 'panel' }, h('h2', {}, t('bureau.lastDrill')), drill)));

    ctx.api('/api/v1/drills')
        .then((r) => {
            const last = drillList(r)[0];
            if (!last) {
                setChildren(drill, h('p', { class: 'muted' }, t('drill.noReports')));
                return;
            }
            setChildren(drill, h('dl', { class: 'facts' },
                h('dt', {}, t('drill.plan')), h('dd', {}, last.plan),
                h('dt', {}, t('drill.kind')), h('dd', {}, last.live ? t('drill.kindLive') : t('drill.kindTabletop')),
                h('dt', {}, t('drill.startedAt')), h('dd', {}, fmtDateTime(last.startedAt)),
                h('dt', {}, t('drill.finishedAt')),
                h('dd', {}, last.finishedAt ? fmtDateTime(last.finishedAt) : t('drill.running')),
                h('dt', {}, t('drill.startedBy')), h('dd', {}, last.startedBy)),
            h('button', { type: 'button', class: 'btn', onclick: () => openReport(ctx, last.id, false) },
                t('drill.open')));
        })
        .catch((e) => setChildren(drill, h('p', { class: 'error-line' },
            t('drill.reportsFailed', { error: ctx.describeError(e) }))));

    function update(state) {
        const s = state.status;
        if (!s) return;
        setText(site, t('bureau.site', { name: s.siteName, id: s.site, time: fmtDateTime(s.generatedAt) }));
        const d = s.defence;
        setText(defence, [
            d?.latched ? t('defence.latched') : t('defence.notLatched'),
            d?.escalated ? t('defence.escalated') : null,
            d?.drill || d?.activeDrill ? t('defence.drill') : null,
        ].filter(Boolean).join(' · '));
        defence.classList.toggle('latched', !!d?.latched);
        park.hidden = !s.park;
        if (s.park) plants.update(s);

        // Valves on every line, then the outlets' monitors on the boundary, in line order.
        const rows = [];
        for (const line of LINES) {
            for (const dev of s.devices.filter((x) => x.line === line)) {
                if (dev.valve || (line === 'boundary' && dev.kind === 'water-quality')) rows.push(dev);
            }
        }
        syncList(body, rows, (dev) => dev.id,
            () => h('tr', {}, h('td'), h('td'), h('td', {}, h('span')), h('td'),
                h('td', {}, h('span', { class: 'quality' })), h('td'), h('td', { class: 'nowrap' })),
            (row, dev) => {
                const [line, name, status, mode, quality, values, read] = row.children;
                row.dataset.device = dev.id;
                setText(line, lineName(dev.line));
                setText(name, `${dev.name} (${dev.id})`);
                const pos = status.firstChild;
                const q = dev.valve ? valveQuality(dev) : worstQuality(dev.points);
                pos.classList.toggle('valve-pos', !!dev.valve);
                if (dev.valve) {
                    pos.dataset.position = dev.valve.position;
                    setVariant(pos, 'pos', dev.valve.position);
                    pos.classList.toggle('q-bad', q !== 'good');
                    const extra = [dev.valve.movementFault, dev.valve.faultBit ? t('valve.faultBit') : null]
                        .filter(Boolean).join(' · ');
                    setText(pos, tOr(`position.${dev.valve.position}`, dev.valve.position) +
                        (extra ? ` · ${extra}` : ''));
                } else {
                    setText(pos, dev.answering ? t('device.answering') : t('device.notAnswering'));
                }
                setText(mode, dev.valve ? tOr(`mode.${dev.valve.mode}`, dev.valve.mode) : '—');
                mode.classList.toggle('warn', dev.valve?.mode === 'local');
                const qEl = quality.firstChild;
                setVariant(qEl, 'q', q);
                qEl.classList.toggle('q-bad', q !== 'good');
                setText(qEl, qualityWord(q));
                // Measured values (water quality, valve opening), each good one plain, any other as its quality.
                setText(values, dev.points.filter((p) => !isBooleanPoint(p)).map((p) =>
                    `${pointLabel(p.name)} ${p.quality === 'good' && p.value != null
                        ? `${fmtNumber(p.value)} ${p.unit ?? ''}`.trim() : qualityWord(p.quality)}`).join(' · ') || '—');
                setText(read, fmtDateTime(lastRead(dev)));
            });
    }

    return { update, unmount() {} };
}
