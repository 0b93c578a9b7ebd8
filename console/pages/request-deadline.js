// A data-subject request's deadline in words and as a badge. The API counts the days (days_left, overdue,
// paused); the console only words them, so it never disagrees with the deadline the API enforces.
import { badge, formatDate, h } from '../lib.js';

/** Statuses after which a data-subject request has no deadline left to run. */
export const CLOSED_REQUEST_STATUSES = ['completed', 'denied', 'cancelled'];

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/**
 * A request's deadline in words, from the API's own count (days_left, overdue, paused): the console never
 * recomputes a deadline. Tone: 'overdue' | 'due_soon' | 'on_time' | 'paused' | 'closed'.
 */
function deadlineState(r) {
  if (CLOSED_REQUEST_STATUSES.includes(r.status)) return { tone: 'closed', text: 'closed' };
  const days = Number(r.days_left);
  let text;
  if (r.overdue) text = `overdue by ${plural(Math.max(1, Math.abs(days)), 'day', 'days')}`;
  else if (days <= 0) text = 'due today';
  else if (days === 1) text = 'due tomorrow';
  else text = `due in ${plural(days, 'day', 'days')}`;
  if (r.paused) return { tone: 'paused', text: `clock paused (${text})` };
  return { tone: r.overdue ? 'overdue' : r.due_soon ? 'due_soon' : 'on_time', text };
}

/** The deadline countdown as a badge (text and colour, never colour alone) with the date beside it. */
export function deadlineBadge(r, { withDate = true } = {}) {
  const state = deadlineState(r);
  const tone = state.tone === 'closed' ? 'closed' : state.tone;
  return h(
    'span',
    { class: 'deadline', 'data-deadline': state.tone },
    badge(tone, state.text),
    withDate && r.due_at && state.tone !== 'closed'
      ? h('span', { class: 'muted' }, ' ', h('time', { datetime: r.due_at }, formatDate(r.due_at, false)))
      : null,
  );
}
