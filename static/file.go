package static

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// MaxFileBytes caps the size of a token file read by [LoadFile] and
// [ParseTokens].
const MaxFileBytes = 1 << 20

// LoadFile reads a token table from the JSON file at path; see
// [ParseTokens] for the format. Errors match [mcpauth.ErrInvalidConfig] (and
// the underlying fs error when the file cannot be read) and never contain
// token values.
func LoadFile(path string) (map[string]Token, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: static tokens file: %w", mcpauth.ErrInvalidConfig, err)
	}
	defer f.Close()
	tokens, err := ParseTokens(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tokens, nil
}

// ParseTokens reads a token table: one JSON object mapping each token to its
// [Token], for example
//
//	{
//	  "dev-token-alice": {"client_id": "alice", "scopes": ["read", "write"], "sub": "alice@example.com"},
//	  "dev-token-ci":    {"client_id": "ci", "scopes": ["read"], "expires_at": 1893456000}
//	}
//
// Parsing is strict: the input must be valid UTF-8 of at most [MaxFileBytes]
// bytes holding exactly one object and follow the module's strict JSON
// rule (no lone surrogate escapes, no repeated names); a token may appear
// only once; entry members must be spelled exactly client_id, scopes,
// expires_at or sub, each at most once, with expires_at an integer (a null member counts as absent);
// anything after the object is an error. Every entry must also pass the checks of [NewTokenVerifier].
//
// Errors match [mcpauth.ErrInvalidConfig] and name entries by position and
// client_id, never by token.
func ParseTokens(r io.Reader) (map[string]Token, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: static tokens: read: %w", mcpauth.ErrInvalidConfig, err)
	}
	if len(data) > MaxFileBytes {
		return nil, configErr("input larger than %d bytes", MaxFileBytes)
	}
	if !utf8.Valid(data) {
		return nil, configErr("input is not valid UTF-8")
	}
	tokens, err := parseTable(json.NewDecoder(bytes.NewReader(data)))
	if err != nil {
		return nil, configErr("%v", err)
	}
	// The module's strict JSON rule also covers what encoding/json lets
	// through in a value, such as a lone surrogate escape it would turn
	// into U+FFFD. parseTable's errors came first: they name the entry.
	sc := strictjson.NewScanner(data, strictjson.MaxDepth, strictjson.ExactNames)
	if err := sc.SkipValue(); err != nil {
		return nil, configErr("%v", err)
	}
	return tokens, nil
}

// parseTable decodes the top-level object. Its errors never quote a token:
// JSON syntax errors are reported by offset only.
func parseTable(dec *json.Decoder) (map[string]Token, error) {
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("top level: %w", err)
	}
	tokens := make(map[string]Token)
	index := make(map[string]int) // token -> entry number, to report duplicates
	for n := 1; dec.More(); n++ {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", n, syntaxOnly(err, dec))
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("entry %d: malformed JSON at byte offset %d", n, dec.InputOffset())
		}
		if first, dup := index[key]; dup {
			return nil, fmt.Errorf("entry %d: duplicate token (the same as entry %d)", n, first)
		}
		index[key] = n
		t, err := parseEntry(dec)
		if err != nil {
			if t.ClientID != "" {
				return nil, fmt.Errorf("entry %d (client_id %q): %w", n, t.ClientID, err)
			}
			return nil, fmt.Errorf("entry %d: %w", n, err)
		}
		if err := checkEntry(key, t); err != nil {
			return nil, fmt.Errorf("entry %d: %w", n, err)
		}
		tokens[key] = t
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the object at byte offset %d", dec.InputOffset())
	}
	if len(tokens) == 0 {
		return nil, errors.New("no tokens configured")
	}
	return tokens, nil
}

// parseEntry decodes one Token object strictly: exact member names, each at
// most once, no unknown members. It returns what it decoded so far with an
// error, so the caller can name the entry by client_id.
func parseEntry(dec *json.Decoder) (Token, error) {
	var t Token
	if err := expectDelim(dec, '{'); err != nil {
		return t, fmt.Errorf("value: %w", err)
	}
	seen := make(map[string]bool, 4)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return t, syntaxOnly(err, dec)
		}
		name, ok := tok.(string)
		if !ok {
			return t, fmt.Errorf("malformed JSON at byte offset %d", dec.InputOffset())
		}
		var dst any
		switch name {
		case "client_id":
			dst = &t.ClientID
		case "scopes":
			dst = &t.Scopes
		case "expires_at":
			dst = &t.ExpiresAt
		case "sub":
			dst = &t.Subject
		default:
			return t, fmt.Errorf("unknown member %q", name)
		}
		if seen[name] {
			return t, fmt.Errorf("duplicate member %q", name)
		}
		seen[name] = true
		if err := dec.Decode(dst); err != nil {
			var ute *json.UnmarshalTypeError
			if errors.As(err, &ute) {
				return t, fmt.Errorf("member %q: wrong JSON type (%s)", name, ute.Value)
			}
			return t, fmt.Errorf("member %q: %w", name, syntaxOnly(err, dec))
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return t, err
	}
	return t, nil
}

// expectDelim reads the next token and checks it is the delimiter want.
func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxOnly(err, dec)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q at byte offset %d", string(want), dec.InputOffset())
	}
	return nil
}

// syntaxOnly replaces a decoding error, whose text may quote input such as a
// token, with its position.
func syntaxOnly(err error, dec *json.Decoder) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("malformed JSON at byte offset %d", se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("unexpected end of input")
	default:
		return fmt.Errorf("malformed JSON at byte offset %d", dec.InputOffset())
	}
}
