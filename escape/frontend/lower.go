package main

// Lowering from go/ast + go/types to the escape IR (escape/ir.h). One lowerer per package;
// l.cur is the function whose body is being lowered (a closure's body is lowered with
// l.cur set to the closure, then l.cur is restored).

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// Allocation limits of the gc compiler (cmd/compile/internal/ir/cfg.go).
const (
	maxStackVarSize         = 10 << 20 // explicitly declared variables
	maxImplicitStackVarSize = 64 << 10 // new(T), &T{}, make([]T, n), closures
)

type varInfo struct {
	id    int
	class string // param, result, local
	pos   token.Pos
	flags []string
	size  int64
	name  string
}

type fnInfo struct {
	id, parent int
	pos        token.Pos
	flags      []string
	name       string
	sig        *types.Signature
	vars       []*varInfo
	body       []*node
	looping    map[string]bool
	nclosures  int
}

type note struct {
	pos token.Pos
	msg string
}

type lowerer struct {
	fset  *token.FileSet
	pkg   *types.Package
	info  *types.Info
	files []*ast.File
	p     printer
	sizes types.Sizes

	funcs      []*fnInfo
	funcOf     map[*types.Func]*fnInfo
	cloFn      map[*ast.FuncLit]*fnInfo
	varID      map[*types.Var]int
	reassigned map[*types.Var]bool
	staticClo  map[*types.Var]*ast.FuncLit
	staticVal  map[*types.Var]ast.Expr // the one value of a variable assigned once
	nvars      int
	cur        *fnInfo
	pending    []*node // statements an expression needs before its statement (temporaries)
	notes      []note
	externs    map[string]*types.Func // imported functions called, by full name
	messages   []message              // -m messages decided here (bce.go)
	dead       map[ast.Node]bool      // what gc's dead-code pass drops (deadcode.go)
}

func newLowerer(fset *token.FileSet, pkg *types.Package, info *types.Info, files []*ast.File) *lowerer {
	return &lowerer{
		fset: fset, pkg: pkg, info: info, files: files,
		p:          printer{pkg: pkg, info: info, temps: map[ast.Expr]string{}},
		sizes:      types.SizesFor("gc", "amd64"),
		funcOf:     map[*types.Func]*fnInfo{},
		cloFn:      map[*ast.FuncLit]*fnInfo{},
		varID:      map[*types.Var]int{},
		reassigned: map[*types.Var]bool{},
		staticClo:  map[*types.Var]*ast.FuncLit{},
		staticVal:  map[*types.Var]ast.Expr{},
		externs:    map[string]*types.Func{},
		dead:       map[ast.Node]bool{},
	}
}

func (l *lowerer) unsupportedNote(pos token.Pos, format string, args ...any) {
	l.notes = append(l.notes, note{pos, fmt.Sprintf(format, args...)})
}

// ---- types ----

func isInterface(t types.Type) bool {
	_, ok := t.Underlying().(*types.Interface)
	return ok
}

func isPointer(t types.Type) bool {
	_, ok := t.Underlying().(*types.Pointer)
	return ok
}

func isUntypedNil(t types.Type) bool {
	b, ok := t.(*types.Basic)
	return ok && b.Kind() == types.UntypedNil
}

func hasPointers(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		k := u.Kind()
		return k == types.String || k == types.UnsafePointer || k == types.UntypedNil || k == types.UntypedString
	case *types.Array:
		return u.Len() > 0 && hasPointers(u.Elem())
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if hasPointers(u.Field(i).Type()) {
				return true
			}
		}
		return false
	case *types.Tuple:
		for i := 0; i < u.Len(); i++ {
			if hasPointers(u.At(i).Type()) {
				return true
			}
		}
		return false
	}
	return true
}

// isDirectIface: values of t are stored in an interface's data word as they are.
func isDirectIface(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Pointer, *types.Chan, *types.Map, *types.Signature:
		return true
	case *types.Basic:
		return u.Kind() == types.UnsafePointer
	case *types.Array:
		return u.Len() == 1 && isDirectIface(u.Elem())
	case *types.Struct:
		return u.NumFields() == 1 && isDirectIface(u.Field(0).Type())
	}
	return false
}

func (l *lowerer) sizeof(t types.Type) int64 {
	defer func() { recover() }()
	return l.sizes.Sizeof(t)
}

func (l *lowerer) typeOf(e ast.Expr) types.Type {
	if t := l.info.TypeOf(e); t != nil {
		return t
	}
	return types.Typ[types.Invalid]
}

// ---- variables and functions ----

func (l *lowerer) newVarInfo(class string, pos token.Pos, t types.Type, name string) *varInfo {
	v := &varInfo{id: l.nvars, class: class, pos: pos, size: l.sizeof(t), name: name}
	l.nvars++
	if hasPointers(t) {
		v.flags = append(v.flags, "p")
	}
	if class == "local" && v.size > maxStackVarSize {
		v.flags = append(v.flags, "big")
	}
	if b, ok := t.(*types.Basic); ok && b.Kind() == types.Uintptr {
		v.flags = append(v.flags, "uintptr")
	}
	l.cur.vars = append(l.cur.vars, v)
	return v
}

func (l *lowerer) declare(v *types.Var, class string, pos token.Pos, name string) int {
	if id, ok := l.varID[v]; ok {
		return id
	}
	vi := l.newVarInfo(class, pos, v.Type(), name)
	l.varID[v] = vi.id
	return vi.id
}

// temp declares a compiler temporary in the current function. Its name is the compiler's:
// .autotmp_N, N the number of variables the function declares before it (typecheck.TempAt
// numbers by len(fn.Dcl)), since gort declares them in the compiler's order (parameters,
// results, then the body's in source order).
func (l *lowerer) temp(t types.Type, pos token.Pos) *varInfo {
	return l.newVarInfo("local", pos, t, fmt.Sprintf(".autotmp_%d", len(l.cur.vars)))
}

// tempName is a use of the temporary vi.
func tempName(vi *varInfo, t types.Type, pos token.Pos) *node {
	n := &node{op: "name", pos: pos, text: vi.name}
	n.attr("var=%d", vi.id)
	if hasPointers(t) {
		n.attr("p")
	}
	return n
}

func (l *lowerer) newFunc(name string, pos token.Pos, sig *types.Signature, parent int) *fnInfo {
	fn := &fnInfo{id: len(l.funcs), parent: parent, pos: pos, name: name, sig: sig}
	l.funcs = append(l.funcs, fn)
	return fn
}

// declareSignature gives the receiver, parameters and results their variables, in the
// compiler's order (receiver, parameters, results), with its names for unnamed results.
func (l *lowerer) declareSignature(sig *types.Signature) {
	if r := sig.Recv(); r != nil {
		l.declareParam(r, "param", r.Name())
	}
	for i := 0; i < sig.Params().Len(); i++ {
		v := sig.Params().At(i)
		l.declareParam(v, "param", v.Name())
	}
	for i := 0; i < sig.Results().Len(); i++ {
		v := sig.Results().At(i)
		name := v.Name()
		if name == "" {
			name = fmt.Sprintf("~r%d", i)
		} else if name == "_" {
			name = fmt.Sprintf("~b%d", i)
		}
		l.declareParam(v, "result", name)
	}
}

func (l *lowerer) declareParam(v *types.Var, class, name string) {
	if name == "_" {
		name = ""
	}
	l.declare(v, class, v.Pos(), name)
}

func (l *lowerer) lowerPackage() {
	l.scanAssignments()
	var decls []*ast.FuncDecl
	for _, f := range l.files {
		for i, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			obj, _ := l.info.Defs[fd.Name].(*types.Func)
			if obj == nil {
				continue
			}
			sig := obj.Type().(*types.Signature)
			if sig.TypeParams().Len() > 0 || (sig.Recv() != nil && sig.RecvTypeParams().Len() > 0) {
				l.unsupportedNote(fd.Pos(), "generic function %s is not analysed", fd.Name.Name)
				continue
			}
			name := fd.Name.Name
			if fd.Recv != nil {
				name = l.p.typ(sig.Recv().Type()) + "." + name
			}
			fn := l.newFunc(name, fd.Name.Pos(), sig, -1)
			l.funcOf[obj] = fn
			if fd.Body != nil {
				fn.flags = append(fn.flags, "body")
			} else if hasPragma(f, i, "//go:noescape") {
				fn.flags = append(fn.flags, "noescape")
			}
			decls = append(decls, fd)
		}
	}
	var roots []ast.Node
	for _, fd := range decls {
		if fd.Body != nil {
			roots = append(roots, fd.Body)
		}
	}
	for _, f := range l.files {
		for _, d := range f.Decls {
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.VAR {
				roots = append(roots, gd)
			}
		}
	}
	for _, r := range roots {
		l.markDead(r)
	}
	l.boundsChecks(roots)
	l.lowerInit()
	for _, fd := range decls {
		fn := l.funcOf[l.info.Defs[fd.Name].(*types.Func)]
		l.cur = fn
		l.declareSignature(fn.sig)
		if fd.Body != nil {
			fn.looping = loopingLabels(fd.Body)
			fn.body = l.stmts(fd.Body.List)
		}
	}
}

// hasPragma tells whether declaration i of f has the //go: directive pragma. As in gc,
// a directive belongs to the next declaration even when blank lines separate them: every
// comment between the previous declaration and this one counts.
func hasPragma(f *ast.File, i int, pragma string) bool {
	from := f.Name.End()
	if i > 0 {
		from = f.Decls[i-1].End()
	}
	to := f.Decls[i].Pos()
	for _, g := range f.Comments {
		if g.Pos() < from || g.End() > to {
			continue
		}
		for _, c := range g.List {
			if strings.HasPrefix(c.Text, pragma) {
				return true
			}
		}
	}
	return false
}

// lowerInit gathers the package-level variable initialisers into one function, as the
// compiler's package initialiser holds them.
func (l *lowerer) lowerInit() {
	fn := l.newFunc("init", token.NoPos, types.NewSignatureType(nil, nil, nil, nil, nil, false), -1)
	fn.flags = append(fn.flags, "body", "init")
	l.cur = fn
	for _, f := range l.files {
		for _, d := range f.Decls {
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.VAR {
				for _, spec := range gd.Specs {
					fn.body = append(fn.body, l.valueSpec(spec.(*ast.ValueSpec), false)...)
				}
			}
		}
	}
}

// loopingLabels: labels that a later goto jumps back to make their statements loop.
func loopingLabels(body *ast.BlockStmt) map[string]bool {
	seen := map[string]bool{}
	looping := map[string]bool{}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.LabeledStmt:
			seen[n.Label.Name] = true
		case *ast.BranchStmt:
			if n.Tok == token.GOTO && seen[n.Label.Name] {
				looping[n.Label.Name] = true
			}
		}
		return true
	})
	return looping
}

// scanAssignments finds the variables assigned after their definition and those defined
// as a function literal, so that a call through a never-reassigned closure variable is a
// static call of the closure (the compiler's ir.StaticValue).
func (l *lowerer) scanAssignments() {
	mark := func(e ast.Expr) {
		if id, ok := unparen(e).(*ast.Ident); ok {
			if v, ok := l.info.Uses[id].(*types.Var); ok {
				l.reassigned[v] = true
			}
		}
	}
	for _, f := range l.files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if n.Tok == token.DEFINE {
						id, _ := lhs.(*ast.Ident)
						if v, ok := l.info.Defs[id].(*types.Var); ok && len(n.Rhs) == len(n.Lhs) {
							if fl, ok := unparen(n.Rhs[i]).(*ast.FuncLit); ok {
								l.staticClo[v] = fl
							}
							l.staticVal[v] = n.Rhs[i]
						}
					}
					mark(lhs)
				}
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if v, ok := l.info.Defs[id].(*types.Var); ok && len(n.Values) == len(n.Names) {
						if fl, ok := unparen(n.Values[i]).(*ast.FuncLit); ok {
							l.staticClo[v] = fl
						}
						l.staticVal[v] = n.Values[i]
					}
				}
			case *ast.IncDecStmt:
				mark(n.X)
			case *ast.UnaryExpr:
				if n.Op == token.AND {
					mark(n.X)
				}
			case *ast.RangeStmt:
				if n.Tok == token.ASSIGN {
					if n.Key != nil {
						mark(n.Key)
					}
					if n.Value != nil {
						mark(n.Value)
					}
				}
			}
			return true
		})
	}
}

// ---- node helpers ----

func (l *lowerer) mk(op string, pos token.Pos, e ast.Expr, kids ...*node) *node {
	n := &node{op: op, pos: pos, kids: kids}
	if e != nil {
		n.text = l.p.expr(e)
		n.src, n.srcText = e, n.text
		l.typeAttrs(n, l.typeOf(e))
	}
	return n
}

func (l *lowerer) typeAttrs(n *node, t types.Type) {
	if hasPointers(t) {
		n.attr("p")
	}
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		n.attr("u")
	}
}

func none() *node { return &node{op: "none"} }

func (l *lowerer) block(list []ast.Stmt, pos token.Pos) *node {
	return &node{op: "block", pos: pos, kids: l.stmts(list)}
}

// conv converts e to type "to" as assignments do: a concrete value given to an interface
// becomes an explicit conversion (a "conviface" node) reported at pos.
func (l *lowerer) conv(e ast.Expr, to types.Type, pos token.Pos) *node {
	n := l.expr(e)
	c := convNode(n, l.typeOf(e), to, pos)
	if c != n {
		c.text = l.p.expr(e)
		c.src, c.srcText = e, c.text
	}
	return c
}

// convNode converts the lowered value n of type from to type to, at pos (the conversion
// to an interface of a value that is not one; n itself otherwise).
func convNode(n *node, from, to types.Type, pos token.Pos) *node {
	if to == nil || !isInterface(to) || isInterface(from) || isUntypedNil(from) {
		return n
	}
	from = types.Default(from)
	c := &node{op: "conviface", pos: pos, text: n.text, kids: []*node{n}}
	c.attr("p")
	if !isDirectIface(from) {
		c.attr("spill")
	}
	return c
}

// argPositions gives the positions the compiler reports conversions of call arguments at:
// an argument that is not a plain name of a variable at its own position (a constant's name
// too); a variable's name, also one of another package (binary.LittleEndian), at the
// position of the nearest argument before it that is not one, or at the call's "(".
func (l *lowerer) argPositions(call *ast.CallExpr) []token.Pos {
	last := call.Lparen
	var out []token.Pos
	for _, a := range call.Args {
		if !l.isName(a) || l.info.Types[unparen(a)].Value != nil {
			last = synPos(a)
		}
		out = append(out, last)
	}
	return out
}

// isName: e is an identifier, or one qualified by its package (pkg.V), which the compiler's
// tree holds as the object's own name node.
func (l *lowerer) isName(e ast.Expr) bool {
	switch e := unparen(e).(type) {
	case *ast.Ident:
		return true
	case *ast.SelectorExpr:
		if id, ok := e.X.(*ast.Ident); ok {
			_, pkg := l.info.Uses[id].(*types.PkgName)
			return pkg
		}
	}
	return false
}

func (l *lowerer) argPos(call *ast.CallExpr, arg ast.Expr) token.Pos {
	for i, a := range call.Args {
		if a == arg {
			return l.argPositions(call)[i]
		}
	}
	return synPos(arg)
}

// extName names an imported function in the IR and remembers it, so that its escape
// summary (exportdata.go) goes out with the IR.
func (l *lowerer) extName(fn *types.Func) string {
	name := fn.FullName()
	l.externs[name] = fn
	return name
}
