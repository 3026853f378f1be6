// A tiny history-API router: the server answers every non-/api path with index.html, so
// deep links such as /shipments/42 work on reload. Routes are matched in order by pattern.
import { signal } from './ui/signal';

export const path = signal(location.pathname + location.search);

export function navigate(to: string, replace = false) {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  path.set(location.pathname + location.search);
}

window.addEventListener('popstate', () => path.set(location.pathname + location.search));

/** Intercepts clicks on same-origin <a href> so links navigate without a reload. */
document.addEventListener('click', (e) => {
  const a = (e.target as HTMLElement | null)?.closest?.('a');
  if (!a || a.target || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/') || href.startsWith('/api')) return;
  e.preventDefault();
  navigate(href);
});

/** Matches `/shipments/:id` against a path; returns the params or null. */
export function match(pattern: string, pathname: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = pathname.split('?')[0].split('/');
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

export function query(): URLSearchParams {
  return new URLSearchParams(location.search);
}
