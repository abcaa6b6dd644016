package chain

// LooksLikeJWS reports whether token has the form of a compact JWS: three
// non-empty segments of the base64url alphabet separated by dots. It says
// nothing about validity; it only routes.
func LooksLikeJWS(token string) bool {
	dots, seg := 0, 0
	for i := 0; i < len(token); i++ {
		c := token[i]
		switch {
		case c == '.':
			if seg == 0 {
				return false
			}
			dots, seg = dots+1, 0
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			seg++
		default:
			return false
		}
	}
	return dots == 2 && seg > 0
}
