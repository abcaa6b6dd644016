// oidc-provider.mjs: a real OAuth 2.0 / OpenID Connect authorization server
// (panva's oidc-provider, OpenID Certified) on loopback, issuing JWT access
// tokens (RFC 9068) for resource servers named with resource indicators
// (RFC 8707) through the client-credentials grant. The client
// interop-opaque, which sends no resource indicator, gets opaque access
// tokens for the MCP resource instead; the resource server (mcpauth) checks
// them at the introspection endpoint (RFC 7662) as client mcpauth-rs, and
// their client revokes them at the revocation endpoint (RFC 7009).
//
// With features.dPoP enabled, a client that proves possession of a key at
// the token endpoint (RFC 9449) gets a DPoP-bound JWT access token (cnf.jkt)
// for the MCP resource; interop-dpop is the client the DPoP test uses.
//
// Environment:
//   MCP_URL    the MCP resource (mcpauth serve's BASE_URL + /mcp)
//   OTHER_URL  a second resource server, whose tokens the MCP server must refuse
// Prints one line "READY {json}" on stdout once it answers requests, with the
// issuer and the clients; runs until stdin closes or it gets SIGTERM/SIGINT.
import { generateKeyPair as nodeGenerateKeyPair, randomBytes } from 'node:crypto';
import http from 'node:http';
import { promisify } from 'node:util';
import Provider, { errors } from 'oidc-provider';

const mcpURL = process.env.MCP_URL;
const otherURL = process.env.OTHER_URL;
if (!mcpURL || !otherURL) {
  console.error('oidc-provider: MCP_URL and OTHER_URL are required');
  process.exit(2);
}

const SCOPE = 'mcp:tools mcp:read';
const genKey = promisify(nodeGenerateKeyPair);
const [rsa, ec] = await Promise.all([
  genKey('rsa', { modulusLength: 2048 }),
  genKey('ec', { namedCurve: 'P-256' }),
]);
// Private JWKs; oidc-provider publishes their public halves at its jwks_uri
// with kids it computes (RFC 7638 thumbprints).
const jwks = {
  keys: [
    { ...rsa.privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' },
    { ...ec.privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'ES256' },
  ],
};

const clients = [
  {
    client_id: 'interop-basic',
    client_secret: randomBytes(24).toString('base64url'),
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    client_id: 'interop-post',
    client_secret: randomBytes(24).toString('base64url'),
    token_endpoint_auth_method: 'client_secret_post',
  },
];

// The client that gets opaque tokens, and the resource server's own
// credentials for the introspection endpoint.
const opaqueClient = {
  client_id: 'interop-opaque',
  client_secret: randomBytes(24).toString('base64url'),
  token_endpoint_auth_method: 'client_secret_basic',
};
const dpopClient = {
  client_id: 'interop-dpop',
  client_secret: randomBytes(24).toString('base64url'),
  token_endpoint_auth_method: 'client_secret_basic',
};
const resourceServerClient = {
  client_id: 'mcpauth-rs',
  client_secret: randomBytes(24).toString('base64url'),
  token_endpoint_auth_method: 'client_secret_basic',
};

// Resource servers, keyed by resource indicator. The MCP resource gets
// RS256-signed JWTs, the other one ES256-signed JWTs: both keys are in the
// JWK Set that mcpauth discovers, so only the audience tells them apart.
const resourceServers = {
  [mcpURL]: { scope: SCOPE, audience: mcpURL, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } },
  [otherURL]: { scope: SCOPE, audience: otherURL, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'ES256' } } },
};

let handler = (_req, res) => {
  res.statusCode = 503;
  res.end();
};
const server = http.createServer((req, res) => handler(req, res));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      ...[...clients, opaqueClient, dpopClient].map((c) => ({ ...c, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] })),
      { ...resourceServerClient, grant_types: [], response_types: [], redirect_uris: [] },
    ],
    jwks,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Only the resource server may introspect.
        allowedPolicy: (ctx) => ctx.oidc.client.clientId === resourceServerClient.client_id,
      },
      revocation: { enabled: true },
      // RFC 9449: a token request with a DPoP proof gets a token bound to
      // the proof's key (token_type DPoP, cnf.jkt in the JWT).
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // No resource parameter means no resource: the token would be an
        // opaque one for the userinfo endpoint, not one for an MCP server.
        // interop-opaque sends none: its tokens are for the MCP resource.
        defaultResource: (_ctx, client) => (client?.clientId === opaqueClient.client_id ? mcpURL : undefined),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator, client) => {
          if (client?.clientId === opaqueClient.client_id && resourceIndicator === mcpURL) {
            return { scope: SCOPE, audience: mcpURL, accessTokenFormat: 'opaque', accessTokenTTL: 600 };
          }
          const info = resourceServers[resourceIndicator];
          if (!info) throw new errors.InvalidTarget();
          return info;
        },
      },
    },
    // Short-lived, memory-only: the default adapter is fine for a test.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
  });
  provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error:', err));
  handler = provider.callback();
  process.stdout.write(
    'READY ' +
      JSON.stringify({
        issuer,
        token_endpoint: `${issuer}/token`,
        clients: clients.map((c) => ({ client_id: c.client_id, client_secret: c.client_secret, method: c.token_endpoint_auth_method })),
        dpop_client: { client_id: dpopClient.client_id, client_secret: dpopClient.client_secret },
        opaque_client: { client_id: opaqueClient.client_id, client_secret: opaqueClient.client_secret },
        resource_server: { client_id: resourceServerClient.client_id, client_secret: resourceServerClient.client_secret },
        introspection_endpoint: `${issuer}/token/introspection`,
        revocation_endpoint: `${issuer}/token/revocation`,
        scope: SCOPE,
      }) +
      '\n',
  );
});

function stop() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The Go test holds our stdin open; when it goes away, so do we.
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
