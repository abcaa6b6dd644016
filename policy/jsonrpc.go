package policy

import (
	"bytes"
	"errors"

	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// maxDepth bounds the nesting of arrays and objects in a request body: MCP
// tool arguments are arbitrary JSON, so the bound is generous.
const maxDepth = 512

// Errors of the strict reader (internal/strictjson decides what is valid
// JSON and what is a duplicate name). Each names what is wrong; none carries
// data taken from the body.
var (
	errSyntax      = strictjson.ErrMalformed
	errTrailing    = strictjson.ErrTrailingData
	errDepth       = strictjson.ErrTooDeep
	errUTF8        = strictjson.ErrInvalidUTF8
	errSurrogate   = strictjson.ErrLoneSurrogate
	errControl     = strictjson.ErrControlCharacter
	errDuplicate   = strictjson.ErrDuplicateName
	errCaseVariant = errors.New("a JSON-RPC member name is spelled in another letter case")
	errNUL         = errors.New("a method, name or uri contains NUL")
	errMethodType  = errors.New("a JSON-RPC method is not a string")
	errParamsType  = errors.New("JSON-RPC params is not an object")
	errNameType    = errors.New("params.name or params.uri is not a string")
)

// message is what the policy reads from one JSON-RPC message. Strings
// without escapes share the body's memory; nothing is copied unless it had
// escapes.
type message struct {
	hasMethod bool
	method    []byte // decoded
	hasID     bool
	id        span // raw JSON of the id, when hasID
	hasParams bool
	paramsObj bool // params is an object
	hasName   bool
	name      []byte // params.name, decoded
	hasURI    bool
	uri       []byte // params.uri, decoded
	badMember error  // a decision member of the wrong type; reported when the policy needs it
}

// span is a half-open byte range of the body.
type span struct{ start, end int }

// body is a strictly parsed request body: the objects at the top level or
// in the top-level array. A single message is held without allocating.
type body struct {
	batch bool
	// other reports top-level values that are not objects (or array
	// elements that are not objects): not JSON-RPC messages.
	other  bool
	one    message // the message of a body that is not a batch
	hasOne bool
	many   []message // the messages of a batch
}

// add appends a message.
func (b *body) add(m message) {
	if b.batch {
		b.many = append(b.many, m)
		return
	}
	b.one, b.hasOne = m, true
}

// len returns the number of messages.
func (b *body) len() int {
	if b.batch {
		return len(b.many)
	}
	if b.hasOne {
		return 1
	}
	return 0
}

// at returns message i.
func (b *body) at(i int) *message {
	if b.batch {
		return &b.many[i]
	}
	return &b.one
}

// scanner reads a body strictly: RFC 8259 JSON in UTF-8 only, and no
// member names that are equal or equal under Unicode simple case folding
// in any object, since the MCP server may decode names case-insensitively.
type scanner = strictjson.Scanner[[]byte]

// newScanner returns the body's scanner.
func newScanner(b []byte) scanner {
	return strictjson.NewScanner(b, maxDepth, strictjson.FoldedNames)
}

// parseBody reads a whole request body.
func parseBody(b []byte, dst *body) error {
	sc := newScanner(b)
	sc.SkipSpace()
	switch sc.Peek() {
	case 0:
		return errSyntax
	case '{':
		m, err := readMessage(&sc)
		if err != nil {
			return err
		}
		dst.add(m)
	case '[':
		dst.batch = true
		a, err := sc.Array()
		if err != nil {
			return err
		}
		for {
			ok, err := sc.Element(&a)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			if sc.Peek() != '{' {
				dst.other = true
				if err := sc.SkipValue(); err != nil {
					return err
				}
				continue
			}
			m, err := readMessage(&sc)
			if err != nil {
				return err
			}
			dst.add(m)
		}
	default:
		dst.other = true
		if err := sc.SkipValue(); err != nil {
			return err
		}
	}
	return sc.Done()
}

// Member names the policy decides on.
const (
	keyMethod  = "method"
	keyParams  = "params"
	keyID      = "id"
	keyJSONRPC = "jsonrpc"
	keyName    = "name"
	keyURI     = "uri"
)

// messageNames and paramsNames are the names a member of a message or of
// its params must not be a case variant of.
var (
	messageNames = []string{keyMethod, keyID, keyParams, keyJSONRPC}
	paramsNames  = []string{keyName, keyURI}
)

// readMessage reads a JSON-RPC message object at the scanner's position.
func readMessage(sc *scanner) (message, error) {
	var m message
	o, err := sc.Object()
	if err != nil {
		return m, err
	}
	for {
		name, _, ok, err := sc.Member(&o)
		if err != nil {
			return m, err
		}
		if !ok {
			break
		}
		switch string(name) {
		case keyMethod:
			m.hasMethod = true
			s, isString, err := decisionString(sc)
			switch {
			case err != nil:
				return m, err
			case !isString:
				m.badMember = errMethodType
			}
			m.method = s
		case keyID:
			start := sc.Pos()
			if err := sc.SkipValue(); err != nil {
				return m, err
			}
			m.hasID, m.id = true, span{start, sc.Pos()}
		case keyParams:
			m.hasParams = true
			if sc.Peek() != '{' {
				if err := sc.SkipValue(); err != nil {
					return m, err
				}
				continue
			}
			m.paramsObj = true
			if err := readParams(sc, &m); err != nil {
				return m, err
			}
		case keyJSONRPC:
			if err := sc.SkipValue(); err != nil {
				return m, err
			}
		default:
			if strictjson.IsCaseVariant(name, messageNames) {
				return m, errCaseVariant
			}
			if err := sc.SkipValue(); err != nil {
				return m, err
			}
		}
	}
	if m.hasParams && !m.paramsObj && m.badMember == nil {
		m.badMember = errParamsType
	}
	return m, nil
}

// readParams reads a message's params object: its name and uri.
func readParams(sc *scanner, m *message) error {
	o, err := sc.Object()
	if err != nil {
		return err
	}
	for {
		name, _, ok, err := sc.Member(&o)
		if err != nil || !ok {
			return err
		}
		isName := string(name) == keyName
		isURI := string(name) == keyURI
		if !isName && !isURI {
			if strictjson.IsCaseVariant(name, paramsNames) {
				return errCaseVariant
			}
			if err := sc.SkipValue(); err != nil {
				return err
			}
			continue
		}
		s, isString, err := decisionString(sc)
		switch {
		case err != nil:
			return err
		case !isString:
			if m.badMember == nil {
				m.badMember = errNameType
			}
		case isName:
			m.hasName, m.name = true, s
		default:
			m.hasURI, m.uri = true, s
		}
	}
}

// decisionString reads a member the policy decides on (method, params.name,
// params.uri): a string's decoded value, refused when it contains NUL, or
// any other value, validated and reported with isString false.
func decisionString(sc *scanner) (s []byte, isString bool, err error) {
	if sc.Peek() != '"' {
		return nil, false, sc.SkipValue()
	}
	if s, err = sc.String(); err != nil {
		return nil, false, err
	}
	if bytes.IndexByte(s, 0) >= 0 {
		return nil, false, errNUL
	}
	return s, true, nil
}
