package jose

// RegisteredHeaderNames are the JWS header parameters of RFC 7515, 7516 and
// 7797. A member that equals one of them only when letter case is ignored
// must be refused: some JOSE libraries match names case-insensitively.
// Callers must not modify it.
var RegisteredHeaderNames = []string{
	"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
	"enc", "zip", "b64", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
}
