// Trends: any point's history over 1 h, 8 h, 24 h or 7 d, drawn with Chart.js.
//
// Chart.js comes from /vendor/chart.js (Debian's libjs-chart.js, a UMD build that sets the global `Chart`). Its time
// scale needs a date adapter Debian does not ship, so the x axis is 'linear' in epoch milliseconds and a tick
// callback formats the times in the site's zone. Values whose quality is not good are left out of the line (a gap)
// and drawn as grey points, so the line never runs through a stale or failed reading.

import { t } from '../i18n.js';
import { h, setText, fmtTick, fmtDateTime, fmtNumber, pointLabel, qualityWord } from './common.js';

/**
 * Each range with the averaging step the server is asked for (a few hundred samples per chart) and the spacing of
 * the time ticks. Ticks fall on multiples of the spacing in epoch time: whole hours everywhere, and the site's
 * midnight and noon only where its zone is a whole number of 12 hours off UTC, which is near enough for a trend.
 */
const RANGES = {
    '1h': { from: '-1h', step: 10, ms: 3600e3, tick: 5 * 60e3 },
    '8h': { from: '-8h', step: 60, ms: 8 * 3600e3, tick: 3600e3 },
    '24h': { from: '-24h', step: 180, ms: 24 * 3600e3, tick: 2 * 3600e3 },
    '7d': { from: '-168h', step: 1200, ms: 168 * 3600e3, tick: 12 * 3600e3 },
};
const REFRESH_MS = 30_000;

export function mount(root, ctx) {
    let point = ctx.params.get('point') ?? '';
    let range = RANGES[ctx.params.get('range')] ? ctx.params.get('range') : '1h';
    let chart = null;
    let optionsKey = '';
    let loading = null;  // AbortController of the request in flight

    const select = h('select', { id: 'trend-point', onchange: () => { point = select.value; load(); } });
    const rangeButtons = Object.keys(RANGES).map((r) => h('button', {
        type: 'button', class: 'btn btn-range', dataset: { range: r }, 'aria-pressed': String(r === range),
        onclick: () => {
            range = r;
            for (const b of rangeButtons) b.setAttribute('aria-pressed', String(b.dataset.range === range));
            load();
        },
    }, t(`trends.range.${r}`)));
    const info = h('p', { class: 'trend-info', role: 'status' });
    const canvas = h('canvas', { id: 'trend-canvas', 'aria-label': t('trends.chartLabel') });
    const chartBox = h('div', { class: 'chart-box' }, canvas);
    const noChart = h('p', { class: 'warn-line', id: 'trend-nochart', hidden: true }, t('trends.noChart'));

    root.append(h('div', { class: 'view-trends' },
        h('div', { class: 'view-head' }, h('h1', {}, t('trends.title'))),
        h('div', { class: 'trend-controls' },
            h('label', { for: 'trend-point' }, t('trends.point')), select,
            h('div', { class: 'range-group', role: 'group', 'aria-label': t('trends.rangeLabel') }, rangeButtons),
            h('button', { type: 'button', class: 'btn', onclick: () => load() }, t('trends.refresh'))),
        noChart, chartBox, info));

    const timer = setInterval(() => load(true), REFRESH_MS);

    /** (Re)builds the point list when the set of points changes; keeps the choice. */
    function fillPoints(status) {
        const devices = status?.devices ?? [];
        const key = devices.map((d) => d.id + ':' + d.points.map((p) => p.name).join(',')).join(';');
        if (key === optionsKey) return;
        optionsKey = key;
        select.replaceChildren(...devices.filter((d) => d.points.length).map((d) =>
            h('optgroup', { label: `${d.name} (${d.id})` }, d.points.map((p) =>
                h('option', { value: `${d.id}.${p.name}` },
                    `${pointLabel(p.name)}${p.unit ? ` (${p.unit})` : ''} — ${d.id}.${p.name}`)))));
        if (!point) {
            // The first measured (not on/off) point with a good value is the most useful default.
            const first = devices.flatMap((d) => d.points.map((p) => ({ d, p })))
                .find(({ p }) => p.unit && p.quality === 'good');
            point = first ? `${first.d.id}.${first.p.name}` : (select.options[0]?.value ?? '');
        }
        select.value = point;
        if (select.value !== point && select.options.length) {
            // A point no longer configured: keep it asked for, but show it as chosen.
            select.append(h('option', { value: point }, point));
            select.value = point;
        }
    }

    async function load(quiet = false) {
        if (!point) return;
        history.replaceState(null, '', `#/trends?point=${encodeURIComponent(point)}&range=${range}`);
        if (typeof window.Chart !== 'function') {
            noChart.hidden = false;
            chartBox.hidden = true;
        }
        loading?.abort();
        const controller = new AbortController();
        loading = controller;
        const r = RANGES[range];
        if (!quiet) setText(info, t('trends.loading'));
        let samples;
        try {
            // No `to`: the server takes now (an empty `to=` is not a time it accepts).
            samples = await ctx.api(`/api/v1/history?point=${encodeURIComponent(point)}&from=${r.from}` +
                `&step=${r.step}`, { signal: controller.signal });
        } catch (e) {
            if (e.name === 'AbortError') return;
            setText(info, t('trends.failed', { error: ctx.describeError(e) }));
            return;
        }
        if (loading !== controller) return;
        loading = null;
        draw(Array.isArray(samples) ? samples : [], r);
    }

    function draw(samples, r) {
        const now = Date.now();
        const unit = unitOf(ctx.state.status, point);
        const good = [];
        const bad = [];
        const min = [];
        const max = [];
        let badCount = 0;
        for (const s of samples) {
            const x = Date.parse(sampleTime(s));
            if (!Number.isFinite(x)) continue;
            const ok = s.quality === 'good' && s.value != null;
            good.push({ x, y: ok ? s.value : null });  // null breaks the line: no line through bad data
            if (!ok) {
                badCount++;
                if (s.value != null) bad.push({ x, y: s.value, quality: s.quality });
            }
            if (s.min != null && s.max != null) {
                min.push({ x, y: ok ? s.min : null });
                max.push({ x, y: ok ? s.max : null });
            }
        }
        const last = samples.length ? samples[samples.length - 1] : null;
        setText(info, samples.length
            ? t('trends.summary', { n: samples.length, bad: badCount, last: last.value == null ? '—' :
                `${fmtNumber(last.value)} ${unit}`.trim(), quality: qualityWord(last.quality), at: fmtDateTime(sampleTime(last)) })
            : t('trends.empty'));
        if (typeof window.Chart !== 'function') return;  // the message above the (hidden) chart says why

        const datasets = [];
        if (min.length) {
            // The spread within each step as two faint lines (a filled band would bridge the gaps of bad data).
            const faint = { borderWidth: 1, pointRadius: 0, spanGaps: false, borderColor: 'rgba(76,194,255,0.45)',
                backgroundColor: 'rgba(76,194,255,0.45)', borderDash: [3, 3] };
            datasets.push({ label: t('trends.min'), data: min, ...faint });
            datasets.push({ label: t('trends.max'), data: max, ...faint });
        }
        datasets.push({ label: `${pointLabel(point.split('.').slice(1).join('.'))} ${unit}`.trim(), data: good,
            borderColor: '#4cc2ff', backgroundColor: '#4cc2ff', borderWidth: 2, pointRadius: 0, spanGaps: false,
            tension: 0 });
        datasets.push({ label: t('trends.badSamples'), data: bad, showLine: false, pointRadius: 3,
            pointStyle: 'rectRot', borderColor: '#8b949e', backgroundColor: '#8b949e' });

        const xmin = now - r.ms;
        if (chart) {
            chart.data.datasets = datasets;
            chart.options.scales.x.min = xmin;
            chart.options.scales.x.max = now;
            chart.options.scales.x.ticks.stepSize = r.tick;
            chart.options.scales.y.title.text = unit;
            chart.update('none');
            return;
        }
        const Chart = window.Chart;
        Chart.defaults.color = '#c9d1d9';
        Chart.defaults.borderColor = '#30363d';
        Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
        chart = new Chart(canvas, {
            type: 'line',
            data: { datasets },
            options: {
                animation: false,
                maintainAspectRatio: false,
                parsing: false,
                normalized: true,
                interaction: { mode: 'nearest', axis: 'x', intersect: false },
                scales: {
                    x: {
                        type: 'linear', min: xmin, max: now,
                        ticks: { stepSize: r.tick, includeBounds: false, callback: (v) => fmtTick(v, r.ms) },
                    },
                    y: { title: { display: true, text: unit } },
                },
                plugins: {
                    legend: { labels: { filter: (item) => item.text !== t('trends.min') } },
                    tooltip: {
                        callbacks: {
                            title: (items) => (items.length ? fmtDateTime(new Date(items[0].parsed.x)) : ''),
                            label: (item) => {
                                const q = item.raw?.quality;
                                const v = `${fmtNumber(item.parsed.y)} ${unit}`.trim();
                                return q ? `${v} (${qualityWord(q)})` : `${item.dataset.label}: ${v}`;
                            },
                        },
                    },
                },
            },
        });
        // The tick callback closes over the range of the first chart: keep it current.
        chart.options.scales.x.ticks.callback = (v) => fmtTick(v, RANGES[range].ms);
        root.querySelector('.chart-box')._chart = chart;  // for the browser test
    }

    function update(state) {
        const first = optionsKey === '';
        fillPoints(state.status);
        if (first && point) load();
    }

    return {
        update,
        unmount() {
            clearInterval(timer);
            loading?.abort();
            chart?.destroy();
        },
    };
}

/**
 * A sample's time. The issue names it `readAt`; the API as built sends `time` (and `bucketStart` with a step), so
 * both are read until the two agree.
 */
function sampleTime(sample) {
    return sample.readAt ?? sample.time;
}

function unitOf(status, id) {
    const dot = id.indexOf('.');
    const device = status?.devices?.find((d) => d.id === id.slice(0, dot));
    return device?.points.find((p) => p.name === id.slice(dot + 1))?.unit ?? '';
}
