// Login page. `serve --demo` prints one login per role (password `freight-demo`); a collapsed
// "Demo accounts" list fills the form with one of them (nothing is sent until Sign in).
import { useState } from 'preact/hooks';
import { session } from '../session';

const DEMO = [
  ['dispatcher', 'dispatch@infamousfreight.demo'],
  ['admin', 'admin@infamousfreight.demo'],
  ['analyst', 'analyst@infamousfreight.demo'],
  ['driver', 'driver1@infamousfreight.demo'],
  ['customer', 'customer1@infamousfreight.demo'],
];

export function LoginPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(await session.login(email.trim(), password));
    setBusy(false);
  }

  return (
    <div class="login">
      <form onSubmit={submit} class="card">
        <h1>Infamous Freight</h1>
        <label>
          Email
          <input name="email" type="email" autocomplete="username" value={email} onInput={(e) => setEmail(e.currentTarget.value)} required />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <details class="demo">
          <summary>Demo accounts</summary>
          {DEMO.map(([role, addr]) => (
            <button type="button" class="link" key={addr} onClick={() => { setEmail(addr); setPassword('freight-demo'); }}>
              {role}: {addr}
            </button>
          ))}
        </details>
      </form>
    </div>
  );
}
