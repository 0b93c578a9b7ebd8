// WhatsApp relay: every delivery from Meta is forwarded to the business's own integration (WHATSAPP_FORWARD_URLS).
// Per destination what was forwarded, what waits and how late it is; the deliveries that went dead after the
// retry horizon, each with Replay, and a replay of all of a destination's dead ones.
import {
  api,
  ApiError,
  busy,
  can,
  durationWords,
  errorNotice,
  flash,
  forbiddenMessage,
  formatDate,
  h,
  mount,
  pageHeading,
  table,
} from '../lib.js';

const CONSENT_WORDS = { withdrawn: 'Withdrawn', granted: 'Granted', none: 'No change' };
const DEAD_SHOWN = 100;

export async function renderRelay(root, { navigate }) {
  mount(root, pageHeading('WhatsApp relay'), h('p', { class: 'muted' }, 'Loading…'));
  let destinations;
  let dead;
  try {
    destinations = (await api('/v1/relay/destinations')).items;
    dead = (await api(`/v1/relay/deliveries?status=dead&limit=${DEAD_SHOWN}`)).items;
  } catch (error) {
    mount(root, pageHeading('WhatsApp relay'), errorNotice(error));
    return;
  }
  const reload = () => navigate('/relay', { replace: true });
  const urlOf = new Map(destinations.map((d) => [d.key, d.url]));
  mount(
    root,
    pageHeading('WhatsApp relay'),
    h(
      'p',
      { class: 'muted' },
      'Every delivery Meta sends is forwarded, with Meta’s signature, to your own WhatsApp integration. ' +
        'Failed sends are retried for up to 7 days; after that they are dead and can be replayed here.',
    ),
    destinations.length
      ? destinationsTable(destinations, reload)
      : h('p', null, 'No destination is configured (WHATSAPP_FORWARD_URLS is empty).'),
    h('h2', null, 'Dead deliveries'),
    deadTable(dead, urlOf, reload),
  );
}

function destinationsTable(destinations, reload) {
  return table(
    'Destinations',
    ['Destination', 'Forwarded', 'Waiting', 'Retrying', 'Dead', 'Oldest waiting', 'Replay'],
    destinations.map((d) => [
      d.configured ? d.url : `${d.url} (no longer configured)`,
      String(d.forwarded),
      String(d.pending),
      String(d.retrying),
      String(d.dead),
      d.lagSeconds > 0 ? durationWords(d.lagSeconds * 1000) : 'Up to date',
      d.dead > 0 && can('deliveries:retry')
        ? replayButton(
            `Replay all ${d.dead} dead`,
            `Replay all ${d.dead} dead deliveries to ${d.url}`,
            `/v1/relay/destinations/${d.key}/replay-dead`,
            reload,
          )
        : '—',
    ]),
    { class: 'relay-destinations' },
  );
}

function deadTable(dead, urlOf, reload) {
  return table(
    `Dead deliveries, newest first (${dead.length} shown)`,
    ['Received', 'Destination', 'Consent', 'Attempts', 'Last error', 'Replay'],
    dead.map((d) => [
      formatDate(d.receivedAt),
      urlOf.get(d.destination) ?? d.destination,
      CONSENT_WORDS[d.consent] ?? d.consent,
      String(d.attempts),
      d.lastError ?? (d.lastStatus ? `HTTP ${d.lastStatus}` : '—'),
      can('deliveries:retry')
        ? replayButton(
            'Replay',
            `Replay the delivery received ${formatDate(d.receivedAt)}`,
            `/v1/relay/deliveries/${d.id}/replay`,
            reload,
          )
        : '—',
    ]),
    { class: 'relay-dead' },
  );
}

function replayButton(text, label, path, done) {
  const button = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': label }, text);
  button.addEventListener('click', () =>
    busy(button, async () => {
      try {
        await api(path, { method: 'POST' });
        flash('Queued to be sent again.');
        done();
      } catch (error) {
        flash(
          error instanceof ApiError && error.status === 403 ? forbiddenMessage(error) : error.message,
          'error',
        );
      }
    }),
  );
  return button;
}
