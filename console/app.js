// The console's shell: session, navigation by role, and a History-API router under /console/.
import {
  api,
  ApiError,
  can,
  h,
  mount,
  ROLE_NAMES,
  session,
  setSession,
  whenSignedOut,
  flash,
} from './lib.js';
import { renderLogin } from './pages/login.js';
import { renderOverview } from './pages/overview.js';
import { renderVendors } from './pages/vendors.js';
import { renderVendor } from './pages/vendor.js';
import { renderActivities, renderActivity } from './pages/activities.js';
import { renderConnections } from './pages/connections.js';
import { renderConnection } from './pages/connection.js';
import { renderDeliveries } from './pages/deliveries.js';
import { renderDelivery } from './pages/delivery.js';
import { renderRelay } from './pages/relay.js';
import { renderPerson } from './pages/person.js';
import { renderRequests } from './pages/requests.js';
import { renderRequest } from './pages/request.js';
import { renderAudit } from './pages/audit.js';
import { renderApiKeys } from './pages/api-keys.js';
import { renderUsers } from './pages/users.js';
import { renderSettings } from './pages/settings.js';

const BASE = '/console';

/** Pages: path pattern, title, the scope a role needs to see the page, whether it is in the menu. */
const ROUTES = [
  { path: /^\/?$/, title: 'Overview', scope: 'overview:read', render: renderOverview, nav: '/' },
  {
    path: /^\/vendors\/?$/,
    title: 'Vendors',
    scope: 'registry:read',
    render: renderVendors,
    nav: '/vendors',
  },
  { path: /^\/vendors\/([\w-]+)\/?$/, title: 'Vendor', scope: 'registry:read', render: renderVendor },
  {
    path: /^\/activities\/?$/,
    title: 'Processing activities',
    scope: 'registry:read',
    render: renderActivities,
    nav: '/activities',
  },
  {
    path: /^\/activities\/([\w-]+)\/?$/,
    title: 'Processing activity',
    scope: 'registry:read',
    render: renderActivity,
  },
  {
    path: /^\/connections\/?$/,
    title: 'Connections',
    scope: 'connections:read',
    render: renderConnections,
    nav: '/connections',
  },
  {
    path: /^\/connections\/([\w-]+)\/?$/,
    title: 'Connection',
    scope: 'connections:read',
    render: renderConnection,
  },
  {
    path: /^\/deliveries\/?$/,
    title: 'Deliveries',
    scope: 'deliveries:read',
    render: renderDeliveries,
    nav: '/deliveries',
  },
  {
    path: /^\/deliveries\/([\w-]+)\/?$/,
    title: 'Delivery',
    scope: 'deliveries:read',
    render: renderDelivery,
  },
  {
    path: /^\/relay\/?$/,
    title: 'WhatsApp relay',
    scope: 'deliveries:read',
    render: renderRelay,
    nav: '/relay',
  },
  {
    path: /^\/requests\/?$/,
    title: 'Requests',
    scope: 'requests:read',
    render: renderRequests,
    nav: '/requests',
  },
  { path: /^\/requests\/([\w-]+)\/?$/, title: 'Request', scope: 'requests:read', render: renderRequest },
  {
    path: /^\/people\/?$/,
    title: 'Person lookup',
    scope: 'subjects:read',
    render: renderPerson,
    nav: '/people',
  },
  { path: /^\/audit\/?$/, title: 'Audit log', scope: 'audit:read', render: renderAudit, nav: '/audit' },
  {
    path: /^\/api-keys\/?$/,
    title: 'API keys',
    scope: 'keys:admin',
    render: renderApiKeys,
    nav: '/api-keys',
  },
  { path: /^\/users\/?$/, title: 'Users', scope: 'users:admin', render: renderUsers, nav: '/users' },
  {
    path: /^\/settings\/?$/,
    title: 'Settings',
    scope: 'overview:read',
    render: renderSettings,
    nav: '/settings',
  },
];

const main = () => document.getElementById('main');
let renderCount = 0;

/** The path inside the console: /console/vendors/x → /vendors/x. */
function consolePath() {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '/';
  return path === '' ? '/' : path;
}

export function navigate(to, { replace = false } = {}) {
  const url = to.startsWith(BASE) ? to : BASE + (to.startsWith('/') ? to : `/${to}`);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  void render();
}

function renderNav(activeRoute) {
  const nav = document.getElementById('nav');
  const account = document.getElementById('account');
  if (!session.user) {
    nav.replaceChildren();
    account.replaceChildren();
    return;
  }
  const items = ROUTES.filter((r) => r.nav && can(r.scope));
  mount(
    nav,
    h(
      'ul',
      null,
      items.map((r) =>
        h(
          'li',
          null,
          h(
            'a',
            {
              href: BASE + (r.nav === '/' ? '/' : r.nav),
              'aria-current':
                activeRoute === r ||
                (activeRoute?.render === renderVendor && r.render === renderVendors) ||
                (activeRoute?.render === renderActivity && r.render === renderActivities) ||
                (activeRoute?.render === renderRequest && r.render === renderRequests) ||
                (activeRoute?.render === renderConnection && r.render === renderConnections) ||
                (activeRoute?.render === renderDelivery && r.render === renderDeliveries)
                  ? 'page'
                  : null,
            },
            r.title,
          ),
        ),
      ),
    ),
  );
  mount(
    account,
    h(
      'span',
      { class: 'who' },
      session.user.name || session.user.email,
      ' ',
      h('span', { class: 'badge badge-neutral' }, ROLE_NAMES[session.user.role] ?? session.user.role),
    ),
    h('button', { type: 'button', class: 'btn btn-small btn-quiet', onclick: signOut }, 'Sign out'),
  );
}

async function signOut() {
  try {
    await api('/console/api/session', { method: 'DELETE', allowUnauthenticated: true });
  } catch {
    // Signed out either way: the cookie is gone or no longer valid.
  }
  setSession(null);
  navigate('/login');
}

async function render() {
  const count = ++renderCount;
  const path = consolePath();
  const params = new URLSearchParams(location.search);
  const root = main();

  if (path.replace(/\/$/, '') === '/login') {
    if (session.user) return navigate(params.get('next') || '/', { replace: true });
    renderNav(null);
    document.title = 'Sign in · Consent Gateway';
    renderLogin(root, {
      onSignedIn: (body) => {
        setSession(body);
        const next = params.get('next');
        navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
      },
    });
    return;
  }
  if (!session.user) {
    return navigate(`/login?next=${encodeURIComponent(path + location.search)}`, { replace: true });
  }

  let match = null;
  const route = ROUTES.find((r) => (match = r.path.exec(path)));
  renderNav(route ?? null);
  if (!route) {
    document.title = 'Not found · Consent Gateway';
    mount(
      root,
      h('h1', { tabindex: '-1' }, 'Page not found'),
      h(
        'p',
        null,
        'There is no console page at this address. ',
        h('a', { href: `${BASE}/` }, 'Go to the overview.'),
      ),
    );
    focusHeading(root);
    return;
  }
  document.title = `${route.title} · Consent Gateway`;
  if (!can(route.scope)) {
    mount(
      root,
      h('h1', { tabindex: '-1' }, route.title),
      h(
        'div',
        { class: 'notice notice-error', role: 'alert' },
        `Your role (${ROLE_NAMES[session.user.role] ?? session.user.role}) cannot open ${route.title}. Ask an admin if you need it.`,
      ),
    );
    focusHeading(root);
    return;
  }
  const page = h('div', { class: 'page' });
  mount(root, page);
  try {
    await route.render(page, { params, match, navigate, isCurrent: () => count === renderCount });
  } catch (error) {
    if (count !== renderCount) return;
    console.error(error);
    mount(
      page,
      h('h1', { tabindex: '-1' }, route.title),
      h(
        'div',
        { class: 'notice notice-error', role: 'alert' },
        error instanceof ApiError ? error.message : 'This page failed to load.',
      ),
    );
  }
  if (count === renderCount) focusHeading(root);
}

function focusHeading(root) {
  const heading = root.querySelector('h1');
  if (heading && document.activeElement !== heading && !root.contains(document.activeElement)) {
    heading.focus({ preventScroll: true });
  }
}

/** Same-origin console links navigate in place; everything else (API downloads, OAuth) is a real load. */
document.addEventListener('click', (event) => {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  )
    return;
  const a = event.target instanceof Element ? event.target.closest('a[href]') : null;
  if (!a || a.hasAttribute('download') || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !(url.pathname === BASE || url.pathname.startsWith(`${BASE}/`)))
    return;
  if (url.pathname.startsWith(`${BASE}/api/`)) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => void render());

whenSignedOut(() => {
  if (!session.user) return;
  setSession(null);
  flash('Your session has ended. Sign in again.', 'warn');
  navigate(`/login?next=${encodeURIComponent(consolePath() + location.search)}`, { replace: true });
});

async function start() {
  try {
    setSession(await api('/console/api/session', { allowUnauthenticated: true }));
  } catch (error) {
    setSession(null);
    if (!(error instanceof ApiError) || (error.status !== 401 && error.status !== 404)) {
      flash(error.message ?? 'The gateway could not be reached.', 'error');
    }
  }
  await render();
}

void start();
