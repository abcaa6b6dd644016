// ts-notes-server.mjs: an MCP server written with the official TypeScript
// SDK (streamable HTTP, stateless, SSE responses), for "mcpauth proxy" to
// protect in the policy interop test. It records the exact bytes of every
// request body it receives, so that the test can check the proxy forwards
// them unchanged, and also serves a fake authorization server's metadata so
// that the SDK client's step-up flow can run up to its redirect.
//
// Routes: POST /mcp (MCP), GET /seen (the bodies received, base64, as JSON),
// POST /release (lets a waiting slow_task finish),
// GET /.well-known/oauth-authorization-server/... (RFC 8414 metadata).
// Prints "READY {"url": "http://127.0.0.1:PORT"}" when listening.
import http from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const seen = [];
let release;
let released = new Promise((resolve) => { release = resolve; });

function newServer() {
  const server = new McpServer({ name: 'ts-notes', version: '1.0.0' }, { capabilities: { logging: {} } });
  const text = (t) => ({ content: [{ type: 'text', text: t }] });
  server.registerTool('search_notes', { description: 'search', inputSchema: { query: z.string().optional() } }, async () => text('found: readme'));
  server.registerTool('delete_notes', { description: 'delete', inputSchema: { query: z.string().optional() } }, async () => text('deleted: nothing (demo)'));
  // slow_task sends a log notification on the response's SSE stream, then
  // waits for POST /release before answering: a proxy that buffered the
  // stream would never deliver the notification first.
  server.registerTool('slow_task', { description: 'slow' }, async (extra) => {
    await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: 'started' } });
    await released;
    released = new Promise((resolve) => { release = resolve; });
    return text('finished');
  });
  return server;
}

const httpServer = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname.startsWith('/.well-known/oauth-authorization-server') || url.pathname.startsWith('/.well-known/openid-configuration')) {
    const base = `http://${req.headers.host}`;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({
      issuer: `${base}/as`,
      authorization_endpoint: `${base}/as/authorize`,
      token_endpoint: `${base}/as/token`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
    }));
    return;
  }
  if (url.pathname === '/seen') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(seen));
    return;
  }
  if (url.pathname === '/release') {
    release();
    res.writeHead(204).end();
    return;
  }
  if (url.pathname !== '/mcp') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const raw = Buffer.concat(chunks);
  let parsed;
  if (req.method === 'POST') {
    seen.push(raw.toString('base64'));
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
      return;
    }
  }
  const server = newServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => { transport.close(); server.close(); });
  await server.connect(transport);
  await transport.handleRequest(req, res, parsed);
});

httpServer.listen(0, '127.0.0.1', () => {
  const { port } = httpServer.address();
  process.stdout.write(`READY ${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
