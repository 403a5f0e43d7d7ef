// Runs the development OpenID provider (ops/dev-idp) inside a container: docker-compose's `dev-idp` service.
//
//   node ops/docker/dev-idp-container.mjs [the options of ops/dev-idp/cli.mjs]
//
// The provider binds to loopback only, by design, and its issuer is `http://127.0.0.1:<port>`. A published container
// port never reaches a container's loopback, so this relays TCP from the container's own network addresses, same
// port, to the provider. With the port published on the host's loopback (`127.0.0.1:4010:4010`), a browser on the
// host reaches the provider at exactly its issuer URL. Other containers cannot use that issuer (their 127.0.0.1 is
// their own); see docs/operations.md.
import { createConnection, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';

const portIndex = process.argv.indexOf('--port');
const port = Number(portIndex > 0 ? process.argv[portIndex + 1] : (process.env.OIDC_DEV_IDP_PORT ?? 4010));

const addresses = Object.values(networkInterfaces())
  .flat()
  .filter((a) => a && a.family === 'IPv4' && !a.internal)
  .map((a) => a.address);

for (const address of addresses) {
  const relay = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  relay.on('error', (err) => console.error(`dev IdP relay on ${address}:${port}: ${err.message}`));
  relay.listen(port, address, () => console.error(`dev IdP relay: ${address}:${port} -> 127.0.0.1:${port}`));
}

// The provider itself, with the same command line (it also handles SIGINT/SIGTERM).
await import('../dev-idp/cli.mjs');
