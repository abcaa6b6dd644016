// Package strictjson is the module's one strict JSON reader for JOSE headers,
// JWT claims and DPoP proofs: RFC 8259 grammar exactly, UTF-8 only, no
// duplicate member names at any depth (RFC 7515 §4, RFC 8725 §3.2), no
// unpaired surrogate escapes, no trailing data and bounded nesting. Numbers
// stay json.Number. Errors never quote the input.
package strictjson
