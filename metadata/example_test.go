package metadata_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/mcpauth/mcpauth/metadata"
)

func ExampleNewHandler() {
	resource := "https://mcp.example.com/mcp"
	h, err := metadata.NewHandler(metadata.ProtectedResource{
		Resource:             resource,
		AuthorizationServers: []string{"https://issuer.example.com"},
	})
	if err != nil {
		panic(err)
	}
	path, _ := metadata.Path(resource)
	mux := http.NewServeMux()
	mux.Handle(path, h)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	fmt.Println(path)
	fmt.Print(rec.Body.String())
	// Output:
	// /.well-known/oauth-protected-resource/mcp
	// {"resource":"https://mcp.example.com/mcp","authorization_servers":["https://issuer.example.com"],"bearer_methods_supported":["header"]}
}
