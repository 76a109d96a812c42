package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/connect-reporting/connect-reporting/internal/lambda"
)

// pollerPackages: the package whose API interface each scheduled function's
// poller calls the Connect client through.
var pollerPackages = map[string]string{
	lambda.OnboardObservations: "realtime",
	lambda.OnboardMetrics:      "historical",
	lambda.OnboardUserGroups:   "configsync",
}

// parseDir parses the non-test Go files of a directory.
func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	fset := token.NewFileSet()
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// connectOperations reads internal/connectapi: for each function or method
// (by name), the Connect SDK operations it calls directly (a
// connect.<Op>Input or connect.New<Op>Paginator) and the names of the
// package's functions and methods it calls.
func connectOperations(t *testing.T) (ops, calls map[string]map[string]bool) {
	ops, calls = map[string]map[string]bool{}, map[string]map[string]bool{}
	for _, f := range parseDir(t, "../internal/connectapi") {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			name := fn.Name.Name
			if ops[name] == nil {
				ops[name], calls[name] = map[string]bool{}, map[string]bool{}
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.SelectorExpr:
					if pkg, ok := x.X.(*ast.Ident); ok && pkg.Name == "connect" {
						sel := x.Sel.Name
						if op, ok := strings.CutSuffix(sel, "Input"); ok {
							ops[name][op] = true
						} else if op, ok := strings.CutPrefix(sel, "New"); ok && strings.HasSuffix(op, "Paginator") {
							ops[name][strings.TrimSuffix(op, "Paginator")] = true
						}
					}
				case *ast.CallExpr:
					switch f := x.Fun.(type) {
					case *ast.Ident:
						calls[name][f.Name] = true
					case *ast.SelectorExpr:
						calls[name][f.Sel.Name] = true
					}
				}
				return true
			})
		}
	}
	return ops, calls
}

// apiMethods lists the methods of the API interface of a poller package.
func apiMethods(t *testing.T, pkg string) []string {
	var out []string
	for _, f := range parseDir(t, filepath.Join("../internal", pkg)) {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || ts.Name.Name != "API" {
				return true
			}
			if it, ok := ts.Type.(*ast.InterfaceType); ok {
				for _, m := range it.Methods.List {
					for _, n := range m.Names {
						out = append(out, n.Name)
					}
				}
			}
			return false
		})
	}
	if len(out) == 0 {
		t.Fatalf("internal/%s has no API interface", pkg)
	}
	return out
}

// connectActions is the IAM actions ("connect:<Op>") a scheduled function
// needs: every SDK operation reachable from the methods of its poller's
// API interface, following calls inside internal/connectapi.
func connectActions(t *testing.T, handler string) []string {
	ops, calls := connectOperations(t)
	seen, actions := map[string]bool{}, map[string]bool{}
	var visit func(string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		for op := range ops[name] {
			actions["connect:"+op] = true
		}
		for c := range calls[name] {
			if _, ok := ops[c]; ok {
				visit(c)
			}
		}
	}
	for _, m := range apiMethods(t, pollerPackages[handler]) {
		if _, ok := ops[m]; !ok {
			t.Errorf("%s: API method %s is not a connectapi method", handler, m)
		}
		visit(m)
	}
	out := make([]string, 0, len(actions))
	for a := range actions {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}
