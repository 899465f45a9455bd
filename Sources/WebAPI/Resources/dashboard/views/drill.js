// Drills (验证演练): the readiness check of a plan, starting a live drill, following its steps, and the stored reports.
//
// A report is fetched with the Authorization header (a plain link cannot carry the token) and opened as a blob URL
// or saved as a file.

import { t, tOr } from '../i18n.js';
import { h, setText, syncList, setChildren, stepTable, updateStepTable, fmtDateTime } from './common.js';

export function mount(root, ctx) {
    const plan = h('input', { id: 'drill-plan', type: 'text', value: 'plant-wide', autocomplete: 'off',
        list: 'drill-plans', required: true });
    const plans = h('datalist', { id: 'drill-plans' });
    const live = h('input', { id: 'drill-live', type: 'checkbox' });
    const reason = h('textarea', { id: 'drill-reason', rows: 2, maxLength: 500,
        placeholder: t('dialog.reasonPlaceholder') });
    const start = h('button', { type: 'submit', class: 'btn btn-danger', id: 'drill-start', disabled: true },
        t('drill.start'));
    const check = h('button', { type: 'button', class: 'btn', id: 'drill-check' }, t('drill.check'));
    const refreshStart = () => {
        start.disabled = !live.checked || reason.value.trim() === '' || plan.value.trim() === '';
    };
    for (const el of [plan, live, reason]) el.addEventListener('input', refreshStart);
    live.addEventListener('change', refreshStart);

    const form = h('form', { class: 'drill-form panel' },
        h('h2', {}, t('drill.startTitle')),
        h('div', { class: 'field' }, h('label', { for: 'drill-plan' }, t('drill.plan')), plan, plans),
        h('div', { class: 'field field-check' }, live, h('label', { for: 'drill-live' }, t('drill.live'))),
        h('div', { class: 'field' }, h('label', { for: 'drill-reason' }, t('dialog.reason')), reason),
        h('p', { class: 'muted' }, t('drill.startNote')),
        h('div', { class: 'dlg-actions' }, check, start));
    form.addEventListener('submit', async (e) => {
        e.preventDefault();
        if (start.disabled) return;
        const body = { plan: plan.value.trim(), live: true, reason: reason.value.trim() };
        if (await ctx.command('/api/v1/drills', body, { assertive: true })) {
            reason.value = '';
            live.checked = false;
            refreshStart();
            ctx.refreshStatus();
            loadReports();
        }
    });

    // Readiness check.
    const checkResult = h('div', { class: 'drill-check-result', id: 'drill-check-result' },
        h('p', { class: 'muted' }, t('drill.checkHint')));
    check.addEventListener('click', async () => {
        setChildren(checkResult, h('p', { class: 'muted' }, t('drill.checking')));
        try {
            const r = await ctx.api(`/api/v1/drills/check?plan=${encodeURIComponent(plan.value.trim())}`);
            renderCheck(checkResult, drillCheckOf(r), ctx);
        } catch (err) {
            setChildren(checkResult, h('p', { class: 'error-line' }, ctx.describeError(err)));
        }
    });

    // Progress of the drill (the same step table as the main view).
    const steps = stepTable();
    const progressHead = h('p', { class: 'drill-active' });

    // Stored reports.
    const reportsBody = h('tbody');
    const reportsInfo = h('p', { class: 'muted' }, t('drill.loadingReports'));
    const reports = h('table', { class: 'reports', id: 'drill-reports' },
        h('caption', { class: 'sr-only' }, t('drill.reports')),
        h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, t('drill.id')), h('th', { scope: 'col' }, t('drill.plan')),
            h('th', { scope: 'col' }, t('drill.kind')), h('th', { scope: 'col' }, t('drill.startedAt')),
            h('th', { scope: 'col' }, t('drill.finishedAt')), h('th', { scope: 'col' }, t('drill.startedBy')),
            h('th', { scope: 'col' }, t('drill.report')))),
        reportsBody);

    root.append(h('div', { class: 'view-drill' },
        h('div', { class: 'view-head' }, h('h1', {}, t('drill.title'))),
        h('div', { class: 'drill-grid' },
            h('div', {}, ctx.canCommand ? form : null,
                h('section', { class: 'panel' }, h('h2', {}, t('drill.progress')), progressHead, steps.el)),
            h('section', { class: 'panel' }, h('h2', {}, t('drill.checkTitle')), checkResult)),
        h('section', { class: 'panel' }, h('h2', {}, t('drill.reports')),
            h('div', { class: 'table-wrap' }, reports), reportsInfo)));
    if (!ctx.canCommand) check.remove();

    let lastActive;
    async function loadReports() {
        try {
            const list = drillList(await ctx.api('/api/v1/drills'));
            reportsInfo.hidden = list.length > 0;
            setText(reportsInfo, t('drill.noReports'));
            syncList(reportsBody, list, (d) => d.id, () => reportRow(ctx), updateReportRow);
        } catch (err) {
            reportsInfo.hidden = false;
            setText(reportsInfo, t('drill.reportsFailed', { error: ctx.describeError(err) }));
        }
    }
    loadReports();

    function update(state) {
        const d = state.status?.defence;
        // Plans worth offering: plant-wide, the running one, and those the interlocks name.
        const names = new Set(['plant-wide']);
        if (d?.plan) names.add(d.plan);
        for (const i of d?.interlocks ?? []) names.add(i.plan);
        syncList(plans, [...names], (n) => n, (n) => h('option', { value: n }), () => {});
        setText(progressHead, d?.activeDrill ? t('drill.active', { id: d.activeDrill }) :
            d?.drill && d?.latched ? t('drill.latched') : t('drill.noneActive'));
        progressHead.classList.toggle('active', !!d?.activeDrill);
        updateStepTable(steps, d?.drill || d?.activeDrill ? d.steps : [], state.status?.devices);
        // A drill that finished has a new report.
        if ((d?.activeDrill ?? null) !== lastActive) {
            if (lastActive !== undefined) loadReports();
            lastActive = d?.activeDrill ?? null;
        }
    }

    return { update, unmount() {} };
}

/**
 * The stored drills from GET /api/v1/drills, newest first. The issue describes a ControlResponse (`{"drills": …}`);
 * the API as built answers the bare array. Both are read until they agree.
 */
export function drillList(response) {
    return Array.isArray(response) ? response : (response?.drills ?? []);
}

/** The DrillCheck from GET /api/v1/drills/check: inside a ControlResponse (`drillCheck`) or bare. */
function drillCheckOf(response) {
    return response?.drillCheck ?? (Array.isArray(response?.items) ? response : null);
}

function renderCheck(el, check, ctx) {
    if (!check) {
        setChildren(el, h('p', { class: 'error-line' }, t('drill.noCheck')));
        return;
    }
    const problems = check.items.reduce((n, i) => n + i.problems.length, 0);
    setChildren(el,
        h('p', { class: problems ? 'error-line' : 'ok-line', role: 'status' },
            problems ? t('drill.notReady', { n: problems, plan: check.plan }) :
                t('drill.ready', { plan: check.plan }),
            ' · ', t('drill.checkedAt', { time: fmtDateTime(check.checkedAt) })),
        h('div', { class: 'table-wrap' }, h('table', { class: 'check' },
            h('thead', {}, h('tr', {},
                h('th', { scope: 'col' }, t('steps.operation')), h('th', { scope: 'col' }, t('steps.device')),
                h('th', { scope: 'col' }, t('drill.location')), h('th', { scope: 'col' }, t('drill.reachable')),
                h('th', { scope: 'col' }, t('drill.mode')), h('th', { scope: 'col' }, t('drill.position')),
                h('th', { scope: 'col' }, t('drill.findings')))),
            h('tbody', {}, check.items.map((i) => h('tr', { class: i.problems.length ? 'has-problem' : '' },
                h('td', {}, tOr(`operation.${i.operation}`, i.operation)),
                h('td', {}, deviceName(ctx, i.device)),
                h('td', {}, i.location ?? '—'),
                h('td', { class: i.reachable ? '' : 'bad' }, i.reachable ? t('bool.yes') : t('bool.no')),
                h('td', { class: i.mode === 'local' ? 'bad' : '' }, i.mode ? tOr(`mode.${i.mode}`, i.mode) : '—'),
                h('td', {}, i.position ? tOr(`position.${i.position}`, i.position) : '—',
                    i.faultFree ? null : h('span', { class: 'bad' }, ' · ', t('drill.fault'))),
                h('td', {},
                    h('ul', { class: 'findings' },
                        i.problems.map((p) => h('li', { class: 'problem' }, p)),
                        (i.notes ?? []).map((n) => h('li', { class: 'note' }, n))))))))));
}

function deviceName(ctx, id) {
    const d = ctx.state.status?.devices?.find((x) => x.id === id);
    return d ? `${d.name} (${id})` : id;
}

function reportRow(ctx) {
    const open = h('button', { type: 'button', class: 'btn btn-small report-open' }, t('drill.open'));
    const save = h('button', { type: 'button', class: 'btn btn-small report-save' }, t('drill.save'));
    const row = h('tr', {}, h('td', { class: 'nowrap' }), h('td'), h('td'), h('td', { class: 'nowrap' }),
        h('td', { class: 'nowrap' }), h('td'), h('td', { class: 'actions' }, open, save));
    open.addEventListener('click', () => openReport(ctx, row._drill.id, false));
    save.addEventListener('click', () => openReport(ctx, row._drill.id, true));
    return row;
}

function updateReportRow(row, d) {
    row._drill = d;
    const [id, plan, kind, started, finished, by] = row.children;
    setText(id, d.id);
    setText(plan, d.plan);
    setText(kind, d.live ? t('drill.kindLive') : t('drill.kindTabletop'));
    setText(started, fmtDateTime(d.startedAt));
    setText(finished, d.finishedAt ? fmtDateTime(d.finishedAt) : t('drill.running'));
    setText(by, d.startedBy);
}

/**
 * Fetches a report with the token and opens it in a new tab, or saves it as a file (`download`).
 *
 * The tab is opened at once, inside the click, so that no pop-up blocker stops it, and pointed at the blob when it
 * has arrived. A blob document takes on the CSP of the page that made it (`default-src 'self'`), which blocks the
 * report's own inline <style>; adoptReportStyles applies the same rules through CSSOM, which the CSP allows.
 */
export async function openReport(ctx, id, download) {
    const tab = download ? null : window.open('', '_blank');
    try {
        const response = await ctx.api(`/api/v1/drills/${encodeURIComponent(id)}?format=html`,
            { raw: true, accept: 'text/html' });
        const blob = new Blob([await response.text()], { type: 'text/html;charset=utf-8' });
        const url = URL.createObjectURL(blob);
        if (download) {
            const a = h('a', { href: url, download: `drill-${id}.html`, class: 'sr-only' });
            document.body.append(a);
            a.click();
            a.remove();
        } else if (tab) {
            tab.location.href = url;
            adoptReportStyles(tab, url);
        } else {
            window.location.assign(url);  // pop-ups blocked entirely: show it here; Back returns
        }
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
        tab?.close();
        ctx.toast(t('drill.reportFailed', { error: ctx.describeError(err) }), 'error');
    }
}

/**
 * Once the report has loaded in `tab`, gives it its own <style> rules as constructable stylesheets. Checked on
 * Chromium: the blob tab inherits this page's CSP and refuses the inline <style>, but not CSSOM stylesheets.
 */
function adoptReportStyles(tab, url) {
    const started = Date.now();
    const timer = setInterval(() => {
        let doc;
        try {
            doc = tab.closed ? null : tab.document;
        } catch {
            doc = null;  // navigated somewhere else: nothing to do
        }
        if (!doc || Date.now() - started > 15_000) {
            clearInterval(timer);
            return;
        }
        if (tab.location.href !== url || doc.readyState !== 'complete') return;
        clearInterval(timer);
        const sheets = [...doc.querySelectorAll('style')].map((style) => {
            const sheet = new tab.CSSStyleSheet();
            sheet.replaceSync(style.textContent);
            return sheet;
        });
        doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, ...sheets];
    }, 100);
}
