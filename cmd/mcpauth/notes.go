package main

// notes.go: the demo notes that "mcpauth serve" offers beside whoami, so
// that an operation policy (MCPAUTH_POLICY_FILE) has tools, resources and a
// prompt of different risk to tell apart. Nothing is stored: the notes are
// fixed and delete_notes only reports what it would delete.

import (
	"context"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// demoNotes are the notes the demo tools and resources serve.
var demoNotes = []struct{ uri, title, text string }{
	{"notes://public/readme", "readme", "Demo notes of mcpauth serve. Public notes need the server's required scopes only; private ones what the policy says."},
	{"notes://private/plans", "plans", "Private plans: ship per-operation scopes."},
	{"notes://private/keys", "keys", "Private: nothing secret here, it is a demo."},
}

// notesResult is the output of search_notes and delete_notes.
type notesResult struct {
	URIs []string `json:"uris" jsonschema:"the URIs of the matching notes"`
}

// notesQuery is the input of search_notes and delete_notes.
type notesQuery struct {
	Query string `json:"query,omitempty" jsonschema:"text to look for in note titles and texts; empty matches every note"`
}

// addNotesDemo registers the demo notes on server: tools search_notes and
// delete_notes, the resources notes://public/readme and
// notes://private/{name}, and the prompt summarize.
func addNotesDemo(server *mcp.Server) {
	mcp.AddTool(server, &mcp.Tool{
		Name:        "search_notes",
		Description: "Returns the URIs of the demo notes whose title or text contains the query.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, Title: "Search notes"},
	}, func(_ context.Context, _ *mcp.CallToolRequest, in notesQuery) (*mcp.CallToolResult, notesResult, error) {
		return nil, notesResult{URIs: matchingNotes(in.Query)}, nil
	})
	mcp.AddTool(server, &mcp.Tool{
		Name:        "delete_notes",
		Description: "Reports the URIs of the demo notes it would delete (the demo deletes nothing).",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: ptr(true), Title: "Delete notes"},
	}, func(_ context.Context, _ *mcp.CallToolRequest, in notesQuery) (*mcp.CallToolResult, notesResult, error) {
		return nil, notesResult{URIs: matchingNotes(in.Query)}, nil
	})
	read := func(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		for _, n := range demoNotes {
			if n.uri == req.Params.URI {
				return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: n.uri, MIMEType: "text/plain", Text: n.text}}}, nil
			}
		}
		return nil, mcp.ResourceNotFoundError(req.Params.URI)
	}
	server.AddResource(&mcp.Resource{URI: "notes://public/readme", Name: "readme", MIMEType: "text/plain"}, read)
	server.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: "notes://private/{name}", Name: "private note", MIMEType: "text/plain"}, read)
	server.AddPrompt(&mcp.Prompt{
		Name:        "summarize",
		Description: "Asks the model to summarize the demo notes.",
	}, func(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		var b strings.Builder
		b.WriteString("Summarize these notes:\n")
		for _, n := range demoNotes {
			b.WriteString("- " + n.title + ": " + n.text + "\n")
		}
		return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: b.String()}}}}, nil
	})
}

// matchingNotes returns the URIs of the notes containing q.
func matchingNotes(q string) []string {
	uris := []string{}
	for _, n := range demoNotes {
		if strings.Contains(n.title, q) || strings.Contains(n.text, q) {
			uris = append(uris, n.uri)
		}
	}
	return slices.Clip(uris)
}

func ptr[T any](v T) *T { return &v }
