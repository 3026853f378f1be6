// Display helpers: times in the viewer's zone, distances in km, money from cents.
import type { Schemas } from '../api/client';

export function fmtTime(iso?: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function fmtDateTime(iso?: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function fmtKm(m?: number | null): string {
  return m == null ? '—' : `${(m / 1000).toFixed(1)} km`;
}

export function fmtMoney(m?: Schemas['Money'] | null): string {
  if (!m) return '—';
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: m.currency }).format(m.amount_cents / 100);
}

export function label(s: string): string {
  return s.replace(/_/g, ' ');
}
