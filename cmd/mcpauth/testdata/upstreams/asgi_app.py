"""A tiny ASGI application served by hypercorn behind mcpauth proxy in the
proxy tests (cmd/mcpauth/upstreams_test.go).

Every HTTP request and WebSocket connection that reaches it is recorded;
GET /__seen (asked directly, never through the proxy) returns the records
as JSON. Requests under /mcp get a JSON echo of what arrived (method, path,
raw path, HTTP version, headers); /admin answers "ADMIN-REACHED"; any other
path answers "OTHER-REACHED". WebSocket connections are accepted on any
path. hypercorn itself honours "Upgrade: h2c" and HTTP/2 prior knowledge.
"""

import json

seen = []


def _headers(scope):
    out = {}
    for name, value in scope.get("headers", []):
        out.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
    return out


def _record(scope):
    return {
        "type": scope["type"],
        "method": scope.get("method", ""),
        "path": scope["path"],
        "raw_path": scope.get("raw_path", b"").decode("latin-1"),
        "http_version": scope.get("http_version", ""),
        "headers": _headers(scope),
    }


async def _send(send, status, body, content_type):
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "websocket":
        seen.append(_record(scope))
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "WS-TUNNEL " + scope["path"]})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            await send({"type": "websocket.send", "text": "WS-ECHO " + (message.get("text") or "")})
    if scope["type"] != "http":
        return
    while True:  # drain the request body
        message = await receive()
        if not message.get("more_body"):
            break
    path = scope["path"]
    if path == "/__seen":
        await _send(send, 200, json.dumps(seen).encode(), b"application/json")
        return
    record = _record(scope)
    seen.append(record)
    if path == "/mcp" or path.startswith("/mcp/"):
        await _send(send, 200, json.dumps(record).encode(), b"application/json")
    elif path == "/admin" or path.startswith("/admin/"):
        await _send(send, 200, b"ADMIN-REACHED", b"text/plain")
    else:
        await _send(send, 200, b"OTHER-REACHED", b"text/plain")
