package main

import "testing"

func TestDialableAddr(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"127.0.0.1:80", "127.0.0.1:80"},
		{"0.0.0.0:8080", "127.0.0.1:8080"},
		{"[::]:8080", "127.0.0.1:8080"},
		{"[::1]:9", "[::1]:9"},
		{"10.1.2.3:443", "10.1.2.3:443"},
	} {
		if got := dialableAddr(fakeAddr(tt.in)); got != tt.want {
			t.Errorf("dialableAddr(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }

func (a fakeAddr) String() string { return string(a) }
