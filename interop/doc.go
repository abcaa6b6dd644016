// Package interop tests mcpauth against independent implementations: tokens
// minted by the jose npm library, the official TypeScript MCP SDK as a
// client of "mcpauth serve", and oidc-provider as a real authorization
// server whose JWK Set mcpauth discovers from its issuer URL.
//
// The tests carry the build tag "interop" and need Node.js with the
// packages of package-lock.json installed; run them with "make interop".
// Plain "go test ./..." compiles only this file.
package interop
