// Package quickstart holds the test of the README's Go quick start: it
// copies the code block into a fresh module, builds it against this
// repository, runs it on loopback and discovers it as an MCP client does.
package quickstart
