// The overview's notice about the record of processing activities: while it is empty, the ROPA exports
// have no rows, and the overview says so (with the way to start it).
import { api, can, h, link, mount } from '../lib.js';

/**
 * A placeholder filled once the record is read: a warning while no processing activity exists, nothing
 * after. Never fails the overview (a failed read shows nothing: the registry pages report it themselves).
 */
export function registryNotice() {
  const slot = h('div', { class: 'overview-registry' });
  if (!can('registry:read')) return slot;
  api('/v1/processing-activities')
    .then((body) => {
      if ((body?.processing_activities ?? []).length) return;
      mount(
        slot,
        h(
          'div',
          { class: 'notice notice-warn', role: 'status' },
          h('strong', null, 'The record of processing activities is empty. '),
          'The ROPA export (Art. 30) has no rows until a processing activity is recorded. ',
          can('registry:write')
            ? link('/console/activities/new', 'Add a processing activity')
            : 'Ask a DPO to record one.',
        ),
      );
    })
    .catch(() => {});
  return slot;
}
