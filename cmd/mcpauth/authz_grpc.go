package main

// authz_grpc.go: Envoy's gRPC external authorization
// (envoy.service.auth.v3.Authorization/Check) for "mcpauth authz", served on
// the same address as the HTTP checks (HTTP/2 without TLS, gRPC content
// type). A CheckRequest is turned into the HTTP request it describes and
// decided by the same middleware and approval as an HTTP check; the answer
// becomes an OkHttpResponse (identity headers to set upstream, the client's
// copies and its Authorization to remove) or a DeniedHttpResponse (status,
// WWW-Authenticate, JSON body).

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
)

// extAuthz implements authv3.AuthorizationServer.
type extAuthz struct {
	authv3.UnimplementedAuthorizationServer
	check http.Handler // middleware(approval), as for HTTP checks
}

// newExtAuthzServer returns a gRPC server with the Authorization service.
func newExtAuthzServer(check http.Handler) *grpc.Server {
	s := grpc.NewServer()
	authv3.RegisterAuthorizationServer(s, &extAuthz{check: check})
	return s
}

// withGRPC sends gRPC requests (HTTP/2, content type application/grpc) to
// g and everything else to next.
func withGRPC(g *grpc.Server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			g.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Check implements authv3.AuthorizationServer.
func (s *extAuthz) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	r, desc := checkRequestToHTTP(ctx, req)
	rec := &recorder{header: http.Header{}}
	if desc != "" {
		writeProxyError(rec, http.StatusBadRequest, "invalid_request", desc, false)
	} else {
		s.check.ServeHTTP(rec, r)
	}
	return rec.checkResponse(r), nil
}

// checkRequestToHTTP returns the HTTP request a CheckRequest describes: its
// method, path (with the query), host, scheme and headers, from the peer
// that sent the CheckRequest. Forwarded headers naming another method or
// URI are removed (originalRequest): Envoy's attributes are the original
// request. desc is non-empty when the attributes are not a request.
func checkRequestToHTTP(ctx context.Context, req *authv3.CheckRequest) (*http.Request, string) {
	a := req.GetAttributes().GetRequest().GetHttp()
	if a == nil {
		return nil, "the CheckRequest has no HTTP request attributes"
	}
	u, err := url.ParseRequestURI(a.GetPath())
	if err != nil || !strings.HasPrefix(a.GetPath(), "/") {
		return nil, "the CheckRequest's path is not an origin-form request target (/path?query)"
	}
	if !isToken(a.GetMethod()) {
		return nil, "the CheckRequest's method is not an HTTP method"
	}
	h := http.Header{}
	if hm := a.GetHeaderMap(); hm != nil {
		for _, hv := range hm.GetHeaders() {
			v := hv.GetValue()
			if hv.GetRawValue() != nil {
				v = string(hv.GetRawValue())
			}
			addCheckHeader(h, hv.GetKey(), v)
		}
	} else {
		for k, v := range a.GetHeaders() {
			addCheckHeader(h, k, v)
		}
	}
	u.Scheme, u.Host = a.GetScheme(), a.GetHost()
	r := (&http.Request{
		Method:     a.GetMethod(),
		URL:        u,
		RequestURI: a.GetPath(),
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Host:       a.GetHost(),
		Body:       http.NoBody,
	}).WithContext(ctx)
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		r.RemoteAddr = p.Addr.String()
	}
	o, _ := originalRequest(r, false)
	return o, ""
}

// addCheckHeader adds one header of a CheckRequest; Envoy's pseudo-headers
// (":path", ":method", ...) are carried by the attributes instead.
func addCheckHeader(h http.Header, k, v string) {
	if k == "" || k[0] == ':' {
		return
	}
	h.Add(k, v)
}

// recorder is the http.ResponseWriter of a gRPC check.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// deniedHeaders are the headers of a refusal passed to the client: every
// value (the Bearer and the DPoP challenges are two WWW-Authenticate
// headers).
var deniedHeaders = []string{"WWW-Authenticate", "DPoP-Nonce", "Retry-After", "Allow", "Content-Type", "Cache-Control", "X-Content-Type-Options"}

// headerDPoPNonce is the server nonce of RFC 9449 §8, sent to the client on
// refusals and, to rotate it, on approved requests' responses.
const headerDPoPNonce = "DPoP-Nonce"

// checkResponse turns the recorded answer into a CheckResponse. r is the
// request checked (nil when it could not be built).
func (r *recorder) checkResponse(req *http.Request) *authv3.CheckResponse {
	status := r.status
	if status == 0 {
		status = http.StatusOK
	}
	if status/100 == 2 {
		ok := &authv3.OkHttpResponse{}
		for _, name := range identityHeaderNames {
			if v := r.header.Get(name); v != "" {
				ok.Headers = append(ok.Headers, &corev3.HeaderValueOption{
					Header:       &corev3.HeaderValue{Key: strings.ToLower(name), Value: v},
					AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
				})
			}
		}
		// Envoy drops a header to set whose value is empty, so the
		// empty ones are removed instead, with Authorization and the
		// client's other X-MCPAuth-* headers.
		set := make(map[string]string, len(identityHeaderNames))
		for _, name := range identityHeaderNames {
			set[name] = r.header.Get(name)
		}
		var in http.Header
		if req != nil {
			in = req.Header
		}
		ok.HeadersToRemove = headersToRemove(in, set)
		if n := r.header.Get(headerDPoPNonce); n != "" {
			ok.ResponseHeadersToAdd = append(ok.ResponseHeadersToAdd, &corev3.HeaderValueOption{
				Header:       &corev3.HeaderValue{Key: strings.ToLower(headerDPoPNonce), Value: n},
				AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
			})
		}
		return &authv3.CheckResponse{
			Status:       &rpcstatus.Status{Code: int32(codes.OK)},
			HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: ok},
		}
	}
	denied := &authv3.DeniedHttpResponse{
		Status: &typev3.HttpStatus{Code: typev3.StatusCode(status)},
		Body:   r.body.String(),
	}
	for _, name := range deniedHeaders {
		for i, v := range r.header.Values(name) {
			action := corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD
			if i > 0 {
				action = corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD
			}
			denied.Headers = append(denied.Headers, &corev3.HeaderValueOption{
				Header:       &corev3.HeaderValue{Key: strings.ToLower(name), Value: v},
				AppendAction: action,
			})
		}
	}
	code := codes.PermissionDenied
	switch status {
	case http.StatusUnauthorized:
		code = codes.Unauthenticated
	case http.StatusServiceUnavailable:
		code = codes.Unavailable
	case http.StatusBadRequest, http.StatusMethodNotAllowed:
		code = codes.InvalidArgument
	}
	return &authv3.CheckResponse{
		Status:       &rpcstatus.Status{Code: int32(code)},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: denied},
	}
}
