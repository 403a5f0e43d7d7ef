import { type FormEvent, useState } from 'react';
import { ApiError } from '../api/client';
import { authApi } from '../api/endpoints';
import type { User } from '../api/types';
import { paths } from '../routes';
import { Link } from '../router';
import { ErrorAlert, Field } from '../ui/components';

export interface AuthPageProps {
  mode: 'signIn' | 'register';
  oidcEnabled: boolean;
  onSignedIn: (user: User) => void;
}

/** Sign in or create an account (email + password; the server sets HttpOnly cookies), or SSO when configured. */
export function AuthPage({ mode, oidcEnabled, onSignedIn }: AuthPageProps) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const register = mode === 'register';
  const fields = error instanceof ApiError ? error.fields : {};

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (register) await authApi.register({ email, password, ...(name.trim() ? { name: name.trim() } : {}) });
      const { user } = await authApi.login({ email, password });
      onSignedIn(user);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  // The OIDC flow returns here (a same-origin path), where the session cookie is then in place.
  const ssoUrl = authApi.ownerSsoUrl(window.location.pathname === paths.register() ? paths.workflows() : window.location.pathname);

  return (
    <section className="auth" aria-labelledby="auth-title">
      <h1 id="auth-title">{register ? 'Create your Parley account' : 'Sign in to Parley'}</h1>
      <form onSubmit={(event) => void submit(event)} noValidate={false} data-testid={register ? 'register-form' : 'sign-in-form'}>
        {register && (
          <Field label="Name (optional)" errors={fields.name}>
            {(props) => <input {...props} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />}
          </Field>
        )}
        <Field label="Email" errors={fields.email}>
          {(props) => (
            <input {...props} type="email" required autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          )}
        </Field>
        <Field label="Password" hint={register ? 'At least 10 characters.' : undefined} errors={fields.password}>
          {(props) => (
            <input
              {...props}
              type="password"
              required
              minLength={register ? 10 : undefined}
              autoComplete={register ? 'new-password' : 'current-password'}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
        {error !== null && <ErrorAlert error={error} />}
        <button type="submit" className="primary" disabled={busy}>
          {register ? 'Create account' : 'Sign in'}
        </button>
      </form>
      {oidcEnabled && (
        <p>
          <a className="button" href={ssoUrl} data-testid="sso-sign-in">
            Sign in with SSO
          </a>
        </p>
      )}
      <p>
        {register ? (
          <>
            Already have an account? <Link to={paths.signIn()}>Sign in</Link>
          </>
        ) : (
          <>
            New to Parley? <Link to={paths.register()}>Create an account</Link>
          </>
        )}
      </p>
    </section>
  );
}
