#!/usr/bin/env node
// Runs the local OpenID provider on its own:
//
//   node ops/dev-idp/cli.mjs [--port 4010] [--client-id parley-dev] [--client-secret parley-dev-secret]
//                            [--redirect-uri http://localhost:3000/api/auth/oidc/callback]...
//                            [--users '[{"email":"carol@example.com","password":"pw","name":"Carol","emailVerified":true}]'] [--json]
//
// `--port 0` picks a free port. `--json` is for programs (the e2e tests): it prints one JSON line
// `{"issuer":…,"port":…,"clientId":…,"clientSecret":…,"redirectUris":[…],"users":[…]}` when ready and exits when
// its stdin closes, so a crashed parent never leaves the provider behind.
import { parseArgs } from 'node:util';
import { DEFAULT_CLIENT, DEFAULT_PORT, DEFAULT_USERS, startDevIdp } from './dev-idp.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    users: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const port = Number(values.port ?? process.env.OIDC_DEV_IDP_PORT ?? DEFAULT_PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid port: ${values.port}`);
  process.exit(2);
}
const client = {
  clientId: values['client-id'] ?? DEFAULT_CLIENT.clientId,
  clientSecret: values['client-secret'] ?? DEFAULT_CLIENT.clientSecret,
  redirectUris: values['redirect-uri']?.flatMap((u) => u.split(',')).filter(Boolean) ?? [...DEFAULT_CLIENT.redirectUris],
};

let users = DEFAULT_USERS;
if (values.users) {
  try {
    users = JSON.parse(values.users);
    if (!Array.isArray(users) || !users.every((u) => typeof u?.email === 'string' && typeof u?.password === 'string')) throw new Error();
  } catch {
    console.error('--users must be a JSON array of {email, password, name?, emailVerified?, sub?}');
    process.exit(2);
  }
}

const idp = await startDevIdp({ port, clients: [client], users, log: (line) => console.error(line) });

if (values.json) {
  console.log(JSON.stringify({ issuer: idp.issuer, port: idp.port, ...client, users: idp.users }));
  process.stdin.resume();
  process.stdin.on('end', () => idp.stop().then(() => process.exit(0)));
} else {
  console.log(`Parley dev IdP (OpenID provider) listening at ${idp.issuer}`);
  console.log(`  client: ${client.clientId} / ${client.clientSecret}, redirect URIs: ${client.redirectUris.join(', ')}`);
  for (const u of idp.users) console.log(`  user:   ${u.email} / ${u.password}${u.emailVerified ? '' : ' (email not verified)'}`);
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => idp.stop().then(() => process.exit(0)));
