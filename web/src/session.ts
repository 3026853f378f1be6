// Who is logged in: tokens from POST /auth/login, kept in localStorage so a reload keeps the
// session, rotated through /auth/refresh shortly before the access token runs out: in its last
// minute, or its last quarter when it lives less than four minutes (the server's
// FREIGHT_ACCESS_TOKEN_TTL_SECS, 15 minutes by default). Refresh tokens are single-use, so
// concurrent callers share one in-flight refresh. `me` comes from /auth/me and decides which
// pages the role sees.
import { signal } from './ui/signal';
import type { components } from './api/schema';

type Tokens = components['schemas']['TokenResponse'];
type Me = components['schemas']['Me'];

interface Stored {
  access_token: string;
  refresh_token: string;
  expires_at: number;
  /** The access token's lifetime in ms (absent in sessions stored by older builds). */
  lifetime?: number;
  email: string;
  me: Me;
}

const KEY = 'freight.session';

function load(): Stored | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Stored) : null;
  } catch {
    return null;
  }
}

export const current = signal<Stored | null>(load());
let refreshing: Promise<string | null> | null = null;

function save(s: Stored | null) {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  current.set(s);
}

async function postJson<T>(path: string, body: unknown, token?: string): Promise<{ ok: boolean; status: number; body: T }> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { ok: res.ok, status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

async function fetchMe(token: string): Promise<Me> {
  const res = await fetch('/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`auth/me: ${res.status}`);
  return (await res.json()) as Me;
}

async function refresh(): Promise<string | null> {
  const s = current.get();
  if (!s) return null;
  const r = await postJson<Tokens>('/api/v1/auth/refresh', { refresh_token: s.refresh_token });
  if (!r.ok) {
    save(null);
    return null;
  }
  save({ ...s, ...tokenFields(r.body) });
  return r.body.access_token;
}

function tokenFields(t: Tokens) {
  return {
    access_token: t.access_token,
    refresh_token: t.refresh_token,
    expires_at: Date.now() + t.expires_in * 1000,
    lifetime: t.expires_in * 1000,
  };
}

export const session = {
  /** Logs in; returns an error message or null. */
  async login(email: string, password: string): Promise<string | null> {
    const r = await postJson<Tokens & { detail?: string }>('/api/v1/auth/login', { email, password });
    if (!r.ok) return r.body.detail ?? `login failed (${r.status})`;
    const me = await fetchMe(r.body.access_token);
    save({ ...tokenFields(r.body), email, me });
    return null;
  },
  /** A valid access token, refreshed when it is close to expiry (see the top of the file). */
  async accessToken(): Promise<string | null> {
    const s = current.get();
    if (!s) return null;
    const margin = Math.min(60_000, (s.lifetime ?? Infinity) / 4);
    if (s.expires_at - Date.now() > margin) return s.access_token;
    refreshing ??= refresh().finally(() => (refreshing = null));
    return refreshing;
  },
  /** Forgets the session at once, then revokes it on the server. */
  async logout() {
    const s = current.get();
    save(null);
    if (s) await postJson('/api/v1/auth/logout', {}, s.access_token).catch(() => {});
  },
  /** A 401 on a call: the session is gone (revoked, or the server restarted with a new key). */
  expired() {
    save(null);
  },
  me(): Me | null {
    return current.get()?.me ?? null;
  },
};

export const isStaff = (me: Me | null) => !!me && ['admin', 'dispatcher', 'analyst'].includes(me.role);
export const canDispatch = (me: Me | null) => !!me && ['admin', 'dispatcher'].includes(me.role);
