// dpop-client.mjs: a DPoP client (RFC 9449) whose proofs are made with
// panva's jose. It generates its own P-256 key (and a second one, for the
// "proof of another key" case), obtains a DPoP-bound access token from
// oidc-provider's token endpoint with the client-credentials grant and a
// resource indicator, proving possession with a proof for the token
// endpoint (retrying once with the server's nonce if asked), and then mints
// one proof per request the Go test asks for.
//
// Environment:
//   TOKEN_ENDPOINT, CLIENT_ID, CLIENT_SECRET, RESOURCE, SCOPE
// Prints "READY {json}" with the token, its type and the thumbprints of
// both keys. Then reads one JSON request per line on stdin:
//   {"htm": "POST", "htu": "http://...", "key": "client"|"other", "ath": true}
// and answers each with one line "PROOF <jwt>" (htm, htu, iat, a fresh jti
// and, when ath is true, the hash of the access token). Exits when stdin
// closes.
import { createHash, randomUUID } from 'node:crypto';
import readline from 'node:readline';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

const { TOKEN_ENDPOINT, CLIENT_ID, CLIENT_SECRET, RESOURCE, SCOPE } = process.env;
if (!TOKEN_ENDPOINT || !CLIENT_ID || !CLIENT_SECRET || !RESOURCE || !SCOPE) {
  console.error('dpop-client: TOKEN_ENDPOINT, CLIENT_ID, CLIENT_SECRET, RESOURCE and SCOPE are required');
  process.exit(2);
}

async function newKey() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}
const keys = { client: await newKey(), other: await newKey() };

// proof mints a DPoP proof (RFC 9449 §4.2) with jose.
async function proof(key, htm, htu, { accessToken, nonce } = {}) {
  const claims = { htm, htu, jti: randomUUID() };
  if (accessToken) claims.ath = createHash('sha256').update(accessToken).digest('base64url');
  if (nonce) claims.nonce = nonce;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .setIssuedAt()
    .sign(key.privateKey);
}

async function tokenRequest(nonce) {
  return fetch(TOKEN_ENDPOINT, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: 'Basic ' + Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64'),
      DPoP: await proof(keys.client, 'POST', TOKEN_ENDPOINT, { nonce }),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: RESOURCE, scope: SCOPE }),
  });
}

let res = await tokenRequest();
if (res.status === 400 && res.headers.get('dpop-nonce')) {
  res = await tokenRequest(res.headers.get('dpop-nonce'));
}
const body = await res.json();
if (res.status !== 200 || !body.access_token) {
  console.error('dpop-client: token endpoint answered', res.status, JSON.stringify(body));
  process.exit(1);
}
const accessToken = body.access_token;
process.stdout.write(
  'READY ' +
    JSON.stringify({
      access_token: accessToken,
      token_type: body.token_type,
      jkt: keys.client.jkt,
      other_jkt: keys.other.jkt,
    }) +
    '\n',
);

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const req = JSON.parse(line);
  const key = keys[req.key];
  if (!key) {
    console.error('dpop-client: unknown key', req.key);
    process.exit(2);
  }
  const p = await proof(key, req.htm, req.htu, { accessToken: req.ath ? accessToken : undefined });
  process.stdout.write('PROOF ' + p + '\n');
}
process.exit(0);
