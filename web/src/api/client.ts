// The one typed API client. Every call goes through openapi-fetch with the types that
// openapi-typescript generates from web/openapi.json (`npm run api`), so a renamed field in
// the Rust handlers becomes a compile error here rather than a blank cell on screen.
// A middleware attaches the bearer token, refreshing it shortly before it expires.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';
import { session } from '../session';

export type Schemas = components['schemas'];
export type Shipment = Schemas['Shipment'];
export type ShipmentStatus = Schemas['ShipmentStatus'];
export type Driver = Schemas['Driver'];
export type DriverStatus = Schemas['DriverStatus'];
export type Vehicle = Schemas['Page_Vehicle']['data'][number];
export type Customer = Schemas['Customer'];
export type LivePosition = Schemas['LivePosition'];
export type Problem = Schemas['Problem'];
export type FieldError = Schemas['FieldError'];
export type PlanView = Schemas['PlanView'];
export type Me = Schemas['Me'];

export const api = createClient<paths>({ baseUrl: '' });

const auth: Middleware = {
  async onRequest({ request }) {
    if (request.url.includes('/auth/login') || request.url.includes('/auth/refresh')) return;
    const token = await session.accessToken();
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  async onResponse({ response }) {
    if (response.status === 401) session.expired();
    return response;
  },
};
api.use(auth);

/** A readable message for a failed call (problem+json `detail`, else the status). */
export function problemText(error: unknown, response?: Response): string {
  const p = error as Partial<Problem> | undefined;
  if (p && typeof p === 'object' && (p.detail || p.title)) return p.detail || p.title || '';
  return response ? `${response.status} ${response.statusText}` : String(error);
}

/** Field errors of a problem+json body keyed by path (`pickup.window.end`). */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const list = (error as Partial<Problem> | undefined)?.errors ?? [];
  for (const e of list ?? []) out[e.field] = out[e.field] ? `${out[e.field]}; ${e.message}` : e.message;
  return out;
}

/** Reads every page of a cursor-paginated list (used for drivers/vehicles/customers). */
export async function allPages<P extends { data: unknown[]; next_cursor?: string | null }>(
  fetchPage: (cursor: string | undefined) => Promise<P | undefined>,
  max = 20,
): Promise<P['data']> {
  const out: P['data'] = [];
  let cursor: string | undefined;
  for (let i = 0; i < max; i++) {
    const page = await fetchPage(cursor);
    if (!page?.data) break;
    out.push(...page.data);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out;
}
