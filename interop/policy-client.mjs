// policy-client.mjs: the official TypeScript MCP SDK as a client of an MCP
// server whose operations need different scopes (mcpauth's operation
// policy). Prints one JSON document on stdout for the Go test to check;
// exits 1 only on an unexpected failure.
//
// Usage: node policy-client.mjs MODE
//   MODE forbidden  with TOKEN in a plain Authorization header: call
//                   search_notes (allowed), then delete_notes (refused with
//                   403): report the result and the SDK's error
//   MODE stepup     with TOKEN from an OAuth client provider: call
//                   delete_notes; the SDK reads the 403 insufficient_scope
//                   challenge and starts an authorization for its scope;
//                   the provider records the authorization URL instead of
//                   redirecting a browser
// Environment: MCP_URL (the MCP endpoint), TOKEN.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const mode = process.argv[2];
const mcpURL = new URL(process.env.MCP_URL);
const token = process.env.TOKEN ?? '';

function describeError(err) {
  return { name: err?.name ?? '', code: err?.code ?? null, message: String(err?.message ?? err) };
}

async function call(client, name) {
  try {
    const result = await client.callTool({ name, arguments: {} });
    return { ok: true, isError: result.isError ?? false, content: result.content };
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
}

// recordingProvider is an OAuthClientProvider that holds TOKEN and, when the
// SDK asks it to redirect the user for a new authorization, records the URL.
function recordingProvider(out) {
  let verifier = '';
  return {
    get redirectUrl() { return 'http://127.0.0.1:1/callback'; },
    get clientMetadata() {
      return { client_name: 'mcpauth-interop', redirect_uris: ['http://127.0.0.1:1/callback'], token_endpoint_auth_method: 'none' };
    },
    clientInformation() { return { client_id: 'mcpauth-interop' }; },
    saveClientInformation() {},
    tokens() { return { access_token: token, token_type: 'Bearer' }; },
    saveTokens() {},
    redirectToAuthorization(url) { out.authorizationURL = url.href; },
    saveCodeVerifier(v) { verifier = v; },
    codeVerifier() { return verifier; },
  };
}

async function main() {
  const out = { mode };
  switch (mode) {
    case 'forbidden': {
      const transport = new StreamableHTTPClientTransport(mcpURL, { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
      const client = new Client({ name: 'mcpauth-interop', version: '1.0.0' });
      await client.connect(transport);
      out.search = await call(client, 'search_notes');
      out.delete = await call(client, 'delete_notes');
      await client.close();
      break;
    }
    case 'stepup': {
      const transport = new StreamableHTTPClientTransport(mcpURL, { authProvider: recordingProvider(out) });
      const client = new Client({ name: 'mcpauth-interop', version: '1.0.0' });
      await client.connect(transport);
      out.delete = await call(client, 'delete_notes');
      if (out.authorizationURL) {
        out.requestedScope = new URL(out.authorizationURL).searchParams.get('scope');
      }
      await client.close();
      break;
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  console.error('policy-client:', err);
  process.exit(1);
});
