package mcpauth_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestConventions checks, over the module's public packages (not internal,
// not the examples, bench and interop modules or tests), the
// conventions of doc.go that a program can: every exported Close method is
// Close() error; every injected clock (a func() time.Time field or With…
// option) is called Clock; and the packages that configure the JWK Set
// (jwks, verify) spell its insecure-http switch InsecureAllowHTTPJWKS only.
func TestConventions(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (path == "examples" || path == "bench" || path == "interop" || path == "internal" || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files++
		dir := filepath.ToSlash(filepath.Dir(path))
		checkConventions(t, fset, f, dir == "jwks" || dir == "verify")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("only %d files checked", files)
	}
}

// checkConventions checks one file; jwksSwitch says whether the file's
// package configures the JWK Set (where the insecure-http switch has one
// name).
func checkConventions(t *testing.T, fset *token.FileSet, f *ast.File, jwksSwitch bool) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			if n.Recv != nil && n.Name.Name == "Close" && !isCloseError(n.Type) {
				t.Errorf("%s: Close must be Close() error", fset.Position(n.Pos()))
			}
			if n.Recv == nil && strings.HasPrefix(n.Name.Name, "With") && n.Type.Params.NumFields() == 1 &&
				isClock(n.Type.Params.List[0].Type) && n.Name.Name != "WithClock" {
				t.Errorf("%s: a clock option must be called WithClock, not %s", fset.Position(n.Pos()), n.Name.Name)
			}
		case *ast.Field:
			for _, name := range n.Names {
				if name.IsExported() && isClock(n.Type) && name.Name != "Clock" {
					t.Errorf("%s: a clock field must be called Clock, not %s", fset.Position(name.Pos()), name.Name)
				}
			}
		case *ast.Ident:
			if jwksSwitch && strings.HasPrefix(n.Name, "InsecureAllowHTTP") && n.Name != "InsecureAllowHTTPJWKS" {
				t.Errorf("%s: the insecure-http switch is InsecureAllowHTTPJWKS everywhere, not %s", fset.Position(n.Pos()), n.Name)
			}
		}
		return true
	})
}

// isCloseError reports whether ft is func() error.
func isCloseError(ft *ast.FuncType) bool {
	if ft.Params.NumFields() != 0 || ft.Results.NumFields() != 1 {
		return false
	}
	id, ok := ft.Results.List[0].Type.(*ast.Ident)
	return ok && id.Name == "error"
}

// isClock reports whether e is func() time.Time.
func isClock(e ast.Expr) bool {
	ft, ok := e.(*ast.FuncType)
	if !ok || ft.Params.NumFields() != 0 || ft.Results.NumFields() != 1 {
		return false
	}
	sel, ok := ft.Results.List[0].Type.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "time" && sel.Sel.Name == "Time"
}
