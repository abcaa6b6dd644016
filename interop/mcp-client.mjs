// mcp-client.mjs: the official TypeScript MCP SDK as a client of an MCP
// server protected by mcpauth. Prints one JSON document on stdout for the Go
// test to check; exits 0 whenever it could report (the test judges), 1 on an
// unexpected failure.
//
// Usage: node mcp-client.mjs MODE
//   MODE connect       with TOKEN: connect, list tools, call whoami
//   MODE unauthorized  without a token: the SDK's error, then the 401 and
//                      its WWW-Authenticate read with the SDK's own parser,
//                      and the protected resource metadata fetched with the
//                      SDK's discovery (from the header's URL and from the
//                      RFC 9728 well-known location of the MCP URL)
//   MODE insufficient  with TOKEN (lacking a required scope): the SDK's
//                      error, then the 403 and its WWW-Authenticate
// Environment: MCP_URL (the MCP endpoint), TOKEN.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';

const mode = process.argv[2];
const mcpURL = new URL(process.env.MCP_URL);
const token = process.env.TOKEN ?? '';

function newClient() {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const transport = new StreamableHTTPClientTransport(mcpURL, { requestInit: { headers } });
  const client = new Client({ name: 'mcpauth-interop', version: '1.0.0' });
  return { client, transport };
}

function describeError(err) {
  return { name: err?.name ?? '', code: err?.code ?? null, message: String(err?.message ?? err) };
}

// A raw initialize POST, as the SDK would send it, to see the status and
// headers that the SDK's error does not carry.
async function rawInitialize() {
  const headers = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
  };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(mcpURL, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'mcpauth-interop', version: '1.0.0' } },
    }),
  });
  const params = extractWWWAuthenticateParams(res);
  const body = await res.text();
  return {
    status: res.status,
    wwwAuthenticate: res.headers.get('www-authenticate'),
    body,
    sdkParams: {
      resourceMetadataUrl: params.resourceMetadataUrl ? params.resourceMetadataUrl.href : null,
      scope: params.scope ?? null,
      error: params.error ?? null,
    },
  };
}

async function sdkConnectError() {
  const { client, transport } = newClient();
  try {
    await client.connect(transport);
    await client.close();
    return null;
  } catch (err) {
    return describeError(err);
  }
}

async function main() {
  const out = { mode };
  switch (mode) {
    case 'connect': {
      const { client, transport } = newClient();
      await client.connect(transport);
      out.serverVersion = client.getServerVersion();
      const { tools } = await client.listTools();
      out.tools = tools.map((t) => t.name);
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      out.whoami = { isError: result.isError ?? false, structuredContent: result.structuredContent ?? null, content: result.content };
      await client.close();
      break;
    }
    case 'unauthorized': {
      out.sdkError = await sdkConnectError();
      out.raw = await rawInitialize();
      const hinted = out.raw.sdkParams.resourceMetadataUrl;
      if (hinted) {
        out.metadataFromHeader = await discoverOAuthProtectedResourceMetadata(mcpURL, { resourceMetadataUrl: new URL(hinted) });
      }
      // Without the hint the SDK tries the RFC 9728 path-aware well-known URL.
      out.metadataWellKnown = await discoverOAuthProtectedResourceMetadata(mcpURL);
      break;
    }
    case 'insufficient': {
      out.sdkError = await sdkConnectError();
      out.raw = await rawInitialize();
      break;
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  console.error('mcp-client:', err);
  process.exit(1);
});
