module github.com/mcpauth/mcpauth/bench

go 1.26.0

require (
	github.com/auth0/go-jwt-middleware/v2 v2.3.1
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/mcpauth/mcpauth v0.0.0
	github.com/modelcontextprotocol/go-sdk v1.8.0
)

require (
	github.com/MicahParks/jwkset v0.11.4 // indirect
	github.com/caarlos0/env/v11 v11.4.1 // indirect
	github.com/segmentio/asm v1.1.3 // indirect
	github.com/segmentio/encoding v0.5.4 // indirect
	golang.org/x/crypto v0.45.0 // indirect
	golang.org/x/oauth2 v0.37.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/time v0.15.0 // indirect
	gopkg.in/go-jose/go-jose.v2 v2.6.3 // indirect
)

replace github.com/mcpauth/mcpauth => ../
