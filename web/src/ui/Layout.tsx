// The frame around every page: navigation by role, the live-feed indicator, logout.
import type { ComponentChildren } from 'preact';
import type { Me } from '../api/client';
import { connected } from '../live';
import { path } from '../router';
import { isStaff, canDispatch, session } from '../session';
import { useSignal } from './signal';

export function Layout({ me, email, children }: { me: Me; email: string; children: ComponentChildren }) {
  const p = useSignal(path);
  const live = useSignal(connected);
  const links: [string, string][] = [];
  if (isStaff(me) || me.role === 'customer') links.push(['/map', me.role === 'customer' ? 'Track' : 'Live map']);
  if (me.role !== 'driver') links.push(['/shipments', 'Shipments']);
  if (canDispatch(me)) links.push(['/planner', 'Route planner']);
  if (me.role === 'driver') links.push(['/stops', 'My stops']);
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="/">Infamous Freight</a>
        <nav>
          {links.map(([href, label]) => (
            <a href={href} class={p.startsWith(href) ? 'active' : ''} key={href}>
              {label}
            </a>
          ))}
        </nav>
        <span class={`live-dot ${live ? 'on' : ''}`} title={live ? 'live feed connected' : 'live feed disconnected'} />
        <span class="who" data-testid="who">
          {email} · <b data-testid="role">{me.role}</b>
        </span>
        <button class="link" onClick={() => void session.logout()} data-testid="logout">
          Log out
        </button>
      </header>
      <main class="content">{children}</main>
    </div>
  );
}
