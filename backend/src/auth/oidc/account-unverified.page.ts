/** Minimal HTML escaping for text and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The page a browser gets when owner SSO sign-in meets a password account whose email was never
 * verified (409 `oidc_account_unverified`): what happened and the two ways out. Self-contained, no
 * script, no external resources.
 */
export function accountUnverifiedPage(email: string, requestId: string | undefined): string {
  const address = escapeHtml(email);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Parley: connect your account first</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}code{background:#f3f4f6;padding:0 .25rem;border-radius:4px}</style>
</head>
<body>
<main>
<h1>This email already has a Parley account with a password</h1>
<p>Your identity provider confirmed <strong>${address}</strong>, but a Parley owner account with that address was created with a
password, and Parley has never confirmed that whoever chose that password controls the address. You were <strong>not</strong>
signed in, and nothing was connected: otherwise the person who set the password would share your account.</p>
<h2>If you created that account</h2>
<p>Sign in with your email and password, then choose <em>Connect SSO</em> (next to <em>Sign out</em>) while you are signed in:
that is <em>Sign in with SSO</em> started from your signed-in account. Parley connects the two, and from then on SSO signs you
in directly.</p>
<h2>If you did not create it</h2>
<p>Someone registered your address without being able to prove it. Do not use that account. Ask the operator of this Parley
server to delete it (see “Owner sign-in” in <code>docs/security.md</code>), then sign in with SSO again: a fresh account is
created for you.</p>
<p><small>Error code: <code>oidc_account_unverified</code>${requestId ? ` · request <code>${escapeHtml(requestId)}</code>` : ''}</small></p>
</main>
</body>
</html>
`;
}
