// jose-mint.mjs: mints JWT access tokens with jose (panva/jose, an
// independent JOSE implementation) for every asymmetric algorithm mcpauth
// accepts, plus tokens that must be refused, and prints one JSON document on
// stdout: {"jwks": {...}, "tokens": [{name, alg, typ, token, claims, want}]}.
//
// Inputs (environment): ISSUER and AUDIENCE, the values the Go test
// configures its verifiers with, and optionally NOW, the Unix time the
// tokens are minted around (default: the current time; a fixed NOW records
// a corpus that a test with that clock can verify later). Everything else
// is generated here. The output also carries now, issuer and audience.
// OTHER_ISSUERS (optional, comma-separated) adds, for each, a token that
// names that issuer but is signed with this run's RS256 key ("iss-0", ...,
// want "invalid"): provider confusion for a verifier that trusts this run's
// keys for ISSUER only.
import { generateKeyPair as nodeGenerateKeyPair, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, UnsecuredJWT, exportJWK, calculateJwkThumbprint } from 'jose';

// Keys are node:crypto KeyObjects (which jose accepts on Node), generated in
// parallel on libuv's thread pool: RSA key generation is the slow part.
const genKey = promisify(nodeGenerateKeyPair);
function generateKeyPair(alg) {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return genKey('rsa', { modulusLength: 2048 });
  if (alg === 'ES256') return genKey('ec', { namedCurve: 'P-256' });
  if (alg === 'ES384') return genKey('ec', { namedCurve: 'P-384' });
  if (alg === 'ES512') return genKey('ec', { namedCurve: 'P-521' });
  if (alg === 'EdDSA' || alg === 'Ed25519') return genKey('ed25519');
  throw new Error(`no key type for ${alg}`);
}

const issuer = process.env.ISSUER;
const audience = process.env.AUDIENCE;
if (!issuer || !audience) {
  console.error('jose-mint: ISSUER and AUDIENCE are required');
  process.exit(2);
}

const scope = 'mcp:tools mcp:read';
const now = process.env.NOW ? Number(process.env.NOW) : Math.floor(Date.now() / 1000);
if (!Number.isSafeInteger(now) || now <= 0) {
  console.error('jose-mint: NOW must be a positive integer (Unix seconds)');
  process.exit(2);
}

// One key per algorithm: a JWK that names its alg binds the key to it.
const algs = [
  { alg: 'RS256', typ: 'at+jwt' },
  { alg: 'RS384' },
  { alg: 'RS512', typ: 'JWT' },
  { alg: 'PS256', typ: 'at+jwt' },
  { alg: 'PS384' },
  { alg: 'PS512', typ: 'application/at+jwt' },
  { alg: 'ES256', typ: 'at+jwt' },
  { alg: 'ES384' },
  { alg: 'ES512', typ: 'at+jwt' },
  { alg: 'EdDSA', typ: 'at+jwt' },
  // RFC 9864 fully-specified name of EdDSA over Ed25519; jose 6 emits it.
  { alg: 'Ed25519', typ: 'at+jwt' },
];

const keys = {};
const jwks = { keys: [] };
const [foreign, edNoAlg, ...pairs] = await Promise.all([generateKeyPair('ES256'), generateKeyPair('Ed25519'), ...algs.map((a) => generateKeyPair(a.alg))]);
for (const [i, a] of algs.entries()) {
  const { publicKey, privateKey } = pairs[i];
  const jwk = await exportJWK(publicKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = a.alg;
  jwk.use = 'sig';
  jwks.keys.push(jwk);
  keys[a.alg] = { privateKey, kid: jwk.kid };
}
{
  // An Ed25519 key exactly as jose exports it: no "alg", so it is not
  // pinned to one of the two names.
  const jwk = await exportJWK(edNoAlg.publicKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.use = 'sig';
  jwks.keys.push(jwk);
  keys.edNoAlg = { privateKey: edNoAlg.privateKey, kid: jwk.kid };
}

function claimsFor(alg, over = {}) {
  return {
    iss: issuer,
    aud: audience,
    sub: `user-${alg.toLowerCase()}`,
    client_id: `jose-client-${alg.toLowerCase()}`,
    scope,
    iat: now,
    exp: now + 600,
    jti: randomUUID(),
    ...over,
  };
}

async function sign(alg, claims, { typ, kid, privateKey } = {}) {
  const header = { alg, kid: kid ?? keys[alg].kid };
  if (typ) header.typ = typ;
  // SignJWT with a full payload: jose writes the claims as given.
  return new SignJWT(claims).setProtectedHeader(header).sign(privateKey ?? keys[alg].privateKey);
}

const tokens = [];
async function add(name, alg, claims, opts = {}, want = 'ok') {
  const token = await sign(alg, claims, opts);
  tokens.push({ name, alg, typ: opts.typ ?? '', token, claims, want });
}

// Valid: one per algorithm.
for (const a of algs) {
  await add(`valid-${a.alg}`, a.alg, claimsFor(a.alg), { typ: a.typ });
}

// Refused: names another issuer, signed with this issuer's key.
for (const [i, other] of (process.env.OTHER_ISSUERS ?? '').split(',').filter(Boolean).entries()) {
  await add(`iss-${i}`, 'RS256', claimsFor('RS256', { iss: other }), { typ: 'at+jwt' }, 'invalid');
}

// Refused: each breaks exactly one rule.
await add('expired', 'ES256', claimsFor('ES256', { iat: now - 7200, exp: now - 3600 }), { typ: 'at+jwt' }, 'invalid');
await add('not-yet-valid', 'RS256', claimsFor('RS256', { nbf: now + 3600 }), { typ: 'at+jwt' }, 'invalid');
await add('wrong-audience', 'RS256', claimsFor('RS256', { aud: 'https://other.example/mcp' }), { typ: 'at+jwt' }, 'invalid');
await add('wrong-issuer', 'PS256', claimsFor('PS256', { iss: 'https://evil.example' }), {}, 'invalid');
await add('id-token-typ', 'ES384', claimsFor('ES384'), { typ: 'id_token+jwt' }, 'invalid');
{
  // Tampered: the payload is re-encoded with another subject, the
  // signature is kept.
  const good = await sign('RS256', claimsFor('RS256'), { typ: 'at+jwt' });
  const [h, , s] = good.split('.');
  const p = Buffer.from(JSON.stringify(claimsFor('RS256', { sub: 'admin' }))).toString('base64url');
  tokens.push({ name: 'tampered-payload', alg: 'RS256', typ: 'at+jwt', token: `${h}.${p}.${s}`, claims: null, want: 'invalid' });
}
{
  // Signed by a key that is not in the JWK Set but claims a kid that is.
  await add('foreign-key-known-kid', 'ES256', claimsFor('ES256'), { typ: 'at+jwt', privateKey: foreign.privateKey }, 'invalid');
}
{
  // alg none, made with jose's own UnsecuredJWT.
  const token = new UnsecuredJWT(claimsFor('none')).encode();
  tokens.push({ name: 'alg-none', alg: 'none', typ: '', token, claims: null, want: 'invalid' });
}
{
  // alg "Ed25519", the fully-specified name of RFC 9864, with an Ed25519
  // JWK that has no "alg": accepted, as is EdDSA with the same key.
  await add('ed25519-fully-specified-alg', 'Ed25519', claimsFor('Ed25519'), { typ: 'at+jwt', kid: keys.edNoAlg.kid, privateKey: keys.edNoAlg.privateKey });
  await add('eddsa-unpinned-ed25519-key', 'EdDSA', claimsFor('EdDSA'), { typ: 'at+jwt', kid: keys.edNoAlg.kid, privateKey: keys.edNoAlg.privateKey });
  // The two names are not interchangeable for a pinned key: alg "Ed25519"
  // with the JWK whose alg is "EdDSA", and the reverse, are refused.
  await add('ed25519-alg-with-eddsa-pinned-key', 'Ed25519', claimsFor('EdDSA'), { typ: 'at+jwt', kid: keys.EdDSA.kid, privateKey: keys.EdDSA.privateKey }, 'invalid');
  await add('eddsa-alg-with-ed25519-pinned-key', 'EdDSA', claimsFor('Ed25519'), { typ: 'at+jwt', kid: keys.Ed25519.kid, privateKey: keys.Ed25519.privateKey }, 'invalid');
}
{
  // An RSA key used with another RSA algorithm than its JWK alg.
  await add('alg-not-pinned-to-key', 'RS384', claimsFor('RS256'), { kid: keys.RS256.kid, privateKey: keys.RS256.privateKey }, 'invalid');
}
{
  // The required scope mcp:tools is missing: valid token, insufficient scope.
  await add('missing-scope', 'ES256', claimsFor('ES256', { scope: 'mcp:read' }), { typ: 'at+jwt' }, 'scope');
}

process.stdout.write(JSON.stringify({ now, issuer, audience, jwks, tokens }) + '\n');
