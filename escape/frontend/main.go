// Command gort-escape-frontend is the front end of gort's escape analyser.
//
// It parses and type-checks one Go file or one package directory with the standard library
// only (go/parser, go/types; imports are read from the installed export data, offline, by
// path: no go command is run), lowers every function to the small typed IR described in
// escape/ir.h and writes that IR to standard output. The C++ engine (escape/*.cc) reads it.
//
// How a request walks through it:
//  1. load: parse the file(s), type-check with gc's amd64 sizes; the first syntax or type
//     error is printed as "file:line:col: message" and the process exits with status 2.
//  2. lower (lower.go): each function (and the package initialiser, and every closure)
//     becomes a func record, its variables var records, its body a tree of nodes. The
//     lowering makes explicit what the compiler's escape pass sees but the syntax hides:
//     conversions to interfaces, & and * on method receivers, embedded-field paths, the
//     "... argument" slice of variadic calls, temporaries for f(g()) and return g().
//  3. write (ir.go): one record per line, tab-separated, depth-first.
//
// Positions follow the compiler's rules (a call at its "(", a composite literal at its "{",
// a selector at its ".", a binary expression at its operator); pos.go holds them.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gort-escape-frontend FILE.go|PKGDIR")
		os.Exit(2)
	}
	fset := token.NewFileSet()
	files, err := parseFiles(fset, os.Args[1])
	if err == nil {
		var pkg *types.Package
		var info *types.Info
		pkg, info, err = check(fset, files)
		if err == nil {
			l := newLowerer(fset, pkg, info, files)
			l.lowerPackage()
			w := newWriter(os.Stdout, fset, files)
			w.write(l)
			w.flush()
			return
		}
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(2)
}

// parseFiles reads a single file, or the buildable non-test .go files of a directory.
func parseFiles(fset *token.FileSet, path string) ([]*ast.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	names := []string{path}
	if st.IsDir() {
		names, err = packageFiles(path)
		if err != nil {
			return nil, err
		}
	}
	var files []*ast.File
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, firstScanError(err)
		}
		files = append(files, f)
	}
	return files, nil
}

func packageFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", dir, err)
	}
	ctxt := build.Default
	ctxt.CgoEnabled = false
	var names []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		if ok, err := ctxt.MatchFile(dir, n); err == nil && ok {
			names = append(names, filepath.Join(dir, n))
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no buildable Go files", dir)
	}
	return names, nil
}

func firstScanError(err error) error {
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return list[0]
	}
	return err
}

// check type-checks the files as one package. Imports come from the export data installed
// under GOROOT/pkg (Go 1.19 ships it), opened directly by path: nothing is executed.
func check(fset *token.FileSet, files []*ast.File) (*types.Package, *types.Info, error) {
	var first error
	conf := types.Config{
		Importer: importer.ForCompiler(fset, "gc", lookupExportData),
		Sizes:    types.SizesFor("gc", "amd64"),
		Error: func(err error) {
			if first == nil {
				first = err
			}
		},
	}
	info := &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Implicits:  map[ast.Node]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
	}
	pkg, _ := conf.Check(files[0].Name.Name, fset, files, info)
	if first != nil {
		return nil, nil, first
	}
	return pkg, info, nil
}

// goroot is set at build time (-ldflags -X main.goroot=...): the toolchain whose export
// data the front end reads. GOROOT in the environment overrides it.
var goroot string

func lookupExportData(path string) (io.ReadCloser, error) {
	root := os.Getenv("GOROOT")
	if root == "" {
		root = goroot
	}
	if root == "" {
		root = runtime.GOROOT()
	}
	dir := filepath.Join(root, "pkg", runtime.GOOS+"_"+runtime.GOARCH)
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(path)+".a"))
	if err != nil { // the standard library's own copies of golang.org/x packages
		if v, verr := os.Open(filepath.Join(dir, "vendor", filepath.FromSlash(path)+".a")); verr == nil {
			f, err = v, nil
		}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Only the archive's first member, the export data, is read: the object code after it
	// is most of the file and of no use here.
	head, err := readPkgDef(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return io.NopCloser(bytes.NewReader(head)), nil
}
