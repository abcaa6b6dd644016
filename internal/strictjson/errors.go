package strictjson

import "errors"

// Errors of the strict reader. They name what is wrong and never quote the
// input. Callers match them with errors.Is.
var (
	ErrInvalidUTF8   = errors.New("JSON is not valid UTF-8")
	ErrLoneSurrogate = errors.New("JSON string has an unpaired UTF-16 surrogate escape")
	ErrDuplicateName = errors.New("JSON object has a duplicate member name")
	ErrNotObject     = errors.New("JSON value is not an object")
	ErrTrailingData  = errors.New("JSON text has data after its JSON value")
	ErrTooDeep       = errors.New("JSON value is nested too deeply")
	ErrMalformed     = errors.New("the text is not JSON (RFC 8259 grammar)")
	// ErrControlCharacter is a raw control character (below U+0020) in a
	// string; it matches ErrMalformed too.
	ErrControlCharacter error = &refinedError{"the text is not JSON: a string has a raw control character", ErrMalformed}
	// errFoldedDuplicate is the duplicate error of [FoldedNames]; it
	// matches ErrDuplicateName.
	errFoldedDuplicate error = &refinedError{"JSON object has two members whose names are equal or differ only in letter case", ErrDuplicateName}
)

// refinedError is a more precise form of one of the errors above.
type refinedError struct {
	msg  string
	base error
}

func (e *refinedError) Error() string { return e.msg }
func (e *refinedError) Unwrap() error { return e.base }
