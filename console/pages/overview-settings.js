// The overview's warning while the controller's details are missing or placeholders (receipts would name
// "Consent Gateway operator" and privacy@example.invalid).
import { api, badge, can, h, link } from '../lib.js';

/** A warning with a link to the settings, or null when the details are complete (or cannot be read). */
export async function controllerWarning() {
  let current;
  try {
    current = await api('/v1/settings/controller');
  } catch {
    return null;
  }
  if (current.complete) return null;
  return h(
    'div',
    { class: 'notice notice-warn', role: 'status', 'data-testid': 'controller-warning' },
    badge('missing', 'Controller not set'),
    ' Consent receipts and access exports name a placeholder controller. ',
    can('registry:write')
      ? link('/console/settings', 'Fill in the controller details')
      : 'Ask a DPO or an admin to fill in the controller details.',
  );
}
