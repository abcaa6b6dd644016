// Package strictjson is the module's one strict JSON reader, for JOSE
// headers, JWT claims, DPoP proofs, JWK Set documents, introspection answers
// and the JSON-RPC bodies the operation policy reads. It accepts RFC 8259's
// grammar exactly (no comments, trailing commas, leading zeros, byte order
// mark; whitespace is space, tab, CR and LF), and refuses what two
// conforming parsers could read differently:
//
//   - invalid UTF-8, including overlong forms and encoded surrogates
//     (RFC 8259 §8.1, RFC 8725 §3.7), and raw control characters in strings;
//   - \u escapes of unpaired UTF-16 surrogates, which encoding/json and
//     others silently replace;
//   - duplicate member names in any object at any depth, compared after
//     unescaping (RFC 7493 §2.3, RFC 7515 §4); with [FoldedNames] also
//     names equal under Unicode simple case folding, for text that is
//     forwarded to decoders that match names case-insensitively;
//   - nesting deeper than the caller's limit, and data after the value.
//
// [ParseObject] decodes a whole object into a map. [Scanner] walks a text
// without building anything, for callers that act on a few members and skip
// the rest without allocating. [IsCaseVariant] is the companion rule for
// names that differ from a registered name only in letter case. Errors
// never quote the input.
package strictjson
