// Package unreadbody lets a handler answer a request whose body it will not
// read (a rejection) at once, and have the connection closed instead of
// kept waiting for that body.
//
// By default net/http's HTTP/1 server reads and discards what is left of a
// request body (up to 256 KiB) before it writes the response, so that the
// connection can carry the next request. A client that announces a body
// (Content-Length, or chunked) and never sends it therefore never gets its
// response, and holds the connection for as long as the server's read
// timeout allows (forever without one). [Abandon] turns that off for one
// response.
package unreadbody
