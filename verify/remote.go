package verify

// Temporary: replaced when the jwks package lands.
import "errors"

func newRemoteKeySource(_ any, _ Settings, _ []string, _ options) (KeySource, error) {
	return nil, errors.New("not yet")
}
func isUnavailable(err error) bool       { return errors.Is(err, ErrKeySourceUnavailable) }
func isAlgorithmMismatch(err error) bool { return false }
