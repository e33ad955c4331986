// A hash router: the views are few and flat, and a hash URL survives a reload in both hosts
// (the Electron window loads a file, the browser host serves one page).
import { reactive } from 'vue';

export const VIEWS = ['experiments', 'queue', 'compare', 'datasets', 'system', 'run'] as const;
export type ViewName = (typeof VIEWS)[number];

export interface Route {
  view: ViewName;
  /** The path after the view: a run id, a dataset id, "new". */
  param: string | null;
  query: Record<string, string>;
}

export function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [view, ...rest] = path.split('/').filter(Boolean);
  const query = Object.fromEntries(new URLSearchParams(search));
  const known = (VIEWS as readonly string[]).includes(view ?? '');
  return {
    view: known ? (view as ViewName) : 'experiments',
    param: known && rest.length ? decodeURIComponent(rest.join('/')) : null,
    query,
  };
}

export function routeHash(view: ViewName, param?: string | null, query?: Record<string, string>): string {
  const q = query && Object.keys(query).length ? `?${new URLSearchParams(query).toString()}` : '';
  return `#/${view}${param ? `/${encodeURIComponent(param)}` : ''}${q}`;
}

export const route = reactive<Route>(parseHash(typeof location !== 'undefined' ? location.hash : ''));

export function navigate(view: ViewName, param?: string | null, query?: Record<string, string>): void {
  const hash = routeHash(view, param, query);
  if (typeof location === 'undefined') {
    Object.assign(route, parseHash(hash));
    return;
  }
  if (location.hash === hash) Object.assign(route, parseHash(hash));
  else location.hash = hash;
}

if (typeof window !== 'undefined') {
  window.addEventListener('hashchange', () => Object.assign(route, parseHash(location.hash)));
}
