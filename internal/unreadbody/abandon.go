package unreadbody

import (
	"net/http"
	"time"
)

// Grace is how long, after a rejection, the server still reads (and
// discards) the rest of a body the client is already sending. Closing a TCP
// connection with unread data makes the kernel reset it, and a reset can
// destroy the response before the client reads it; a client that sends its
// body at once is done well within Grace, while one that never sends it
// loses the connection when Grace ends.
const Grace = 500 * time.Millisecond

// Abandon prepares the response to an HTTP/1 request whose announced body
// the handler will not read: it sets "Connection: close", so that net/http
// writes the response without first draining the body and closes the
// connection after it, and limits any further reading of the connection to
// [Grace]. Call it before WriteHeader. It does nothing for a request without
// a body, and for HTTP/2 and later, where a stream's unread body holds no
// connection.
//
// When w cannot set a read deadline (a ResponseWriter that does not unwrap
// to the server's), the server's ReadTimeout bounds the wait instead.
func Abandon(w http.ResponseWriter, r *http.Request) { abandon(w, r, Grace) }

func abandon(w http.ResponseWriter, r *http.Request, grace time.Duration) {
	if r.ProtoMajor != 1 || r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return
	}
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(grace))
}
