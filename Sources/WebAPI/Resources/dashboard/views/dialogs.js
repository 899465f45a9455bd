// Modal confirmation dialogs. Every command that moves equipment or changes an alarm asks for a reason, which the
// daemon journals with the user; the dialog will not confirm while the reason is empty.

import { t } from '../i18n.js';
import { h } from './common.js';

let counter = 0;

/**
 * Opens a modal dialog and resolves with `{ reason, ...fields }` when confirmed, or null when cancelled (the
 * Cancel button or Escape).
 *
 * - `title`, `intro`: text at the top; `body`: extra nodes (such as the list of what a shutoff will do).
 * - `fields`: `[{ name, label, type: 'select' | 'text', options: [{ value, label }], value }]` before the reason.
 * - `confirmText`, `danger`: the confirm button's text and whether it is the red one.
 * - `reasonRequired` (default true): whether a reason must be given.
 */
export function askReason({ title, intro, body, fields = [], confirmText, danger = false, reasonRequired = true,
    id } = {}) {
    return new Promise((resolve) => {
        const n = ++counter;
        const inputs = {};
        const fieldRows = fields.map((f) => {
            const fid = `dlg-${n}-${f.name}`;
            let input;
            if (f.type === 'select') {
                input = h('select', { id: fid, name: f.name },
                    f.options.map((o) => h('option', { value: o.value, selected: o.value === f.value }, o.label)));
            } else {
                input = h('input', { id: fid, name: f.name, type: 'text', value: f.value ?? '',
                    placeholder: f.placeholder, autocomplete: 'off' });
            }
            inputs[f.name] = input;
            return h('div', { class: 'field' }, h('label', { for: fid }, f.label), input);
        });
        const reason = h('textarea', { id: `dlg-${n}-reason`, name: 'reason', rows: 3, maxLength: 500,
            required: reasonRequired, class: 'dlg-reason', placeholder: t('dialog.reasonPlaceholder') });
        const confirm = h('button', { type: 'submit', class: danger ? 'btn btn-danger dlg-confirm' :
            'btn btn-primary dlg-confirm' }, confirmText ?? t('dialog.confirm'));
        const cancel = h('button', { type: 'button', class: 'btn dlg-cancel' }, t('dialog.cancel'));
        const hint = h('p', { class: 'dlg-hint muted' }, reasonRequired ? t('dialog.reasonRequired') : '');
        const form = h('form', { method: 'dialog' },
            h('h2', { id: `dlg-${n}-title` }, title),
            intro ? h('p', { class: 'dlg-intro' }, intro) : null,
            body ?? null,
            fieldRows,
            h('div', { class: 'field' }, h('label', { for: reason.id }, t('dialog.reason')), reason),
            hint,
            h('div', { class: 'dlg-actions' }, cancel, confirm));
        const dialog = h('dialog', { class: danger ? 'dlg dlg-danger' : 'dlg', id: id ?? null,
            'aria-labelledby': `dlg-${n}-title` }, form);

        let settled = false;
        const finish = (value) => {
            if (settled) return;
            settled = true;
            if (dialog.open) dialog.close();
            dialog.remove();
            resolve(value);
        };
        const refresh = () => {
            confirm.disabled = reasonRequired && reason.value.trim() === '';
        };
        reason.addEventListener('input', refresh);
        refresh();
        form.addEventListener('submit', (e) => {
            e.preventDefault();
            if (confirm.disabled) return;
            const result = { reason: reason.value.trim() };
            for (const [name, input] of Object.entries(inputs)) result[name] = input.value;
            finish(result);
        });
        cancel.addEventListener('click', () => finish(null));
        dialog.addEventListener('cancel', () => finish(null));  // Escape
        dialog.addEventListener('close', () => finish(null));

        document.body.append(dialog);
        dialog.showModal();
        reason.focus();
    });
}
