package main

// Lowering of calls: conversions, builtins, and function and method calls.

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"math"
)

func (l *lowerer) call(e *ast.CallExpr) *node {
	if tv := l.info.Types[e.Fun]; tv.IsType() {
		return l.conversion(e, tv.Type)
	}
	if id, ok := unparen(e.Fun).(*ast.Ident); ok {
		if b, ok := l.info.Uses[id].(*types.Builtin); ok {
			return l.builtin(e, b.Name())
		}
	}
	if sel, ok := unparen(e.Fun).(*ast.SelectorExpr); ok {
		if b, ok := l.info.Uses[sel.Sel].(*types.Builtin); ok { // unsafe.Add, unsafe.Slice
			return l.builtin(e, b.Name())
		}
	}
	sig, ok := l.typeOf(e.Fun).Underlying().(*types.Signature)
	if !ok {
		l.unsupportedNote(e.Pos(), "unsupported call")
		return l.unsupported(e)
	}
	n := l.mk("call", e.Lparen, e)
	n.attr("nres=%d", sig.Results().Len())
	callee, recv := l.callee(e, n)
	args := l.args(e, sig)
	if l.rewriteNonNameCall(e, &callee, recv) {
		n.text = l.p.expr(e)
	}
	n.kids = append([]*node{callee}, recv...)
	return n.withArgs(args)
}

// ownVar: v is a variable of the function being lowered. ir.StaticValue follows only
// those (class PAUTO): inside a closure, a variable of an enclosing function is a captured
// one, which it does not follow, so a call through it is dynamic.
func (l *lowerer) ownVar(v *types.Var) bool {
	id, ok := l.varID[v]
	if !ok {
		return false
	}
	for _, vi := range l.cur.vars {
		if vi.id == id {
			return true
		}
	}
	return false
}

// rewriteNonNameCall is the compiler's typecheck.RewriteNonNameCall, which runs on every call
// once its callee and arguments are typechecked: when the callee — a method call's receiver
// for a method — holds a call or a channel receive, it is evaluated into a temporary first:
// f()(x) becomes t := f(); t(x), and g().M() becomes t := g(); t.M(). The temporary is a
// variable of the function, declared at its outermost loop depth (no declaration statement),
// and the compiler's messages name it (.autotmp_N.M()). Reports whether it rewrote.
func (l *lowerer) rewriteNonNameCall(e *ast.CallExpr, callee **node, recv []*node) bool {
	fun := unparen(e.Fun)
	x, target, t := fun, callee, l.typeOf(fun)
	if sel, ok := fun.(*ast.SelectorExpr); ok && len(recv) == 1 {
		if s := l.info.Selections[sel]; s != nil && s.Kind() == types.MethodVal {
			x, target = unparen(sel.X), &recv[0]
			t = s.Obj().(*types.Func).Type().(*types.Signature).Recv().Type()
		}
	}
	if !l.holdsCall(x) {
		return false
	}
	vi := l.temp(t, e.Lparen)
	l.p.temps[x] = vi.name
	as := &node{op: "as", pos: e.Lparen, text: vi.name + " := " + (*target).text,
		kids: []*node{tempName(vi, t, e.Lparen), *target}}
	as.attr("n=1").attr("why=assign")
	l.pending = append(l.pending, as)
	*target = tempName(vi, t, e.Lparen)
	return true
}

// holdsCall is the compiler's test for RewriteNonNameCall: e holds a call (but a conversion,
// new(T) or one folded to a constant) or a receive, outside the bodies of function literals.
func (l *lowerer) holdsCall(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(x ast.Node) bool {
		if found {
			return false
		}
		switch x := x.(type) {
		case *ast.FuncLit:
			return false
		case *ast.UnaryExpr:
			found = x.Op == token.ARROW
		case *ast.CallExpr:
			if tv, ok := l.info.Types[x]; ok && tv.Value != nil {
				return false
			}
			if l.info.Types[x.Fun].IsType() {
				return true
			}
			if id, ok := unparen(x.Fun).(*ast.Ident); ok {
				if b, ok := l.info.Uses[id].(*types.Builtin); ok && b.Name() == "new" {
					return true
				}
			}
			found = true
		}
		return !found
	})
	return found
}

func (n *node) withArgs(args []*node) *node {
	n.kids = append(n.kids, args...)
	return n
}

// callee classifies the call (attribute kind) and returns the callee operand and, for a
// method, the receiver argument.
func (l *lowerer) callee(e *ast.CallExpr, n *node) (*node, []*node) {
	fun := unparen(e.Fun)
	if sel, ok := fun.(*ast.SelectorExpr); ok {
		if s := l.info.Selections[sel]; s != nil && s.Kind() == types.MethodVal {
			recv, fn, ext, iface := l.receiver(sel, s)
			n.attr("recv")
			if iface {
				if r, dfn, dext, static := l.devirtualize(e, sel); r != nil {
					recv = r
					if static {
						fn, ext, iface = dfn, dext, false
					}
				}
			}
			switch {
			case iface:
				n.attr("kind=iface")
			case fn != nil:
				n.attr("kind=static").attr("fn=%d", fn.id)
			default:
				n.attr("kind=ext").attr("ext=%s", ext)
			}
			return &node{op: "lit", pos: synPos(sel)}, []*node{recv}
		}
		if s := l.info.Selections[sel]; s != nil && s.Kind() == types.MethodExpr {
			m := s.Obj().(*types.Func)
			if fn, ok := l.funcOf[m]; ok {
				n.attr("kind=static").attr("fn=%d", fn.id).attr("recv")
			} else {
				n.attr("kind=ext").attr("ext=%s", l.extName(m)).attr("recv")
			}
			return l.expr(fun), nil
		}
	}
	var obj types.Object
	switch f := fun.(type) {
	case *ast.Ident:
		obj = l.objOf(f)
	case *ast.SelectorExpr:
		obj = l.objOf(f.Sel)
	case *ast.FuncLit:
		c := l.expr(f)
		fn := l.cloFn[f]
		fn.flags = append(fn.flags, "called")
		n.attr("kind=static").attr("fn=%d", fn.id)
		return c, nil
	}
	switch o := obj.(type) {
	case *types.Func:
		if fn, ok := l.funcOf[o]; ok {
			n.attr("kind=static").attr("fn=%d", fn.id)
		} else if o.Pkg() != nil && o.Pkg() != l.pkg {
			n.attr("kind=ext").attr("ext=%s", l.extName(o))
		} else {
			n.attr("kind=dyn")
		}
		return l.expr(fun), nil
	case *types.Var:
		if lit, ok := l.staticClo[o]; ok && !l.reassigned[o] && l.ownVar(o) {
			if fn, ok := l.cloFn[lit]; ok {
				fn.flags = append(fn.flags, "called")
				n.attr("kind=static").attr("fn=%d", fn.id)
				return l.expr(fun), nil
			}
		}
		if fn := l.staticCallee(o); fn != nil {
			n.attr("kind=static").attr("fn=%d", fn.id)
			return l.expr(fun), nil
		}
	}
	n.attr("kind=dyn")
	return l.expr(fun), nil
}

// args lowers the arguments against the signature: conversions to the parameter types,
// the "... argument" slice of a variadic call, temporaries for f(g()).
func (l *lowerer) args(e *ast.CallExpr, sig *types.Signature) []*node {
	params := sig.Params()
	if len(e.Args) == 1 && params.Len() > 1 {
		if tup, ok := l.typeOf(e.Args[0]).(*types.Tuple); ok {
			return l.tupleArgs(e, tup)
		}
	}
	var out []*node
	np := params.Len()
	for i, a := range e.Args {
		if sig.Variadic() && !e.Ellipsis.IsValid() && i >= np-1 {
			break
		}
		out = append(out, l.conv(a, params.At(i).Type(), l.argPos(e, a)))
	}
	if sig.Variadic() && !e.Ellipsis.IsValid() {
		extra := e.Args[np-1:]
		if len(extra) == 0 {
			return append(out, &node{op: "lit", pos: e.Lparen, text: "nil"})
		}
		elem := params.At(np - 1).Type().(*types.Slice).Elem()
		dots := &node{op: "slicelit", pos: e.Lparen, text: "... argument"}
		dots.attr("p")
		for _, a := range extra {
			dots.kids = append(dots.kids, l.conv(a, elem, l.argPos(e, a)))
		}
		out = append(out, dots)
	}
	return out
}

func (l *lowerer) tupleArgs(e *ast.CallExpr, tup *types.Tuple) []*node {
	call := l.expr(e.Args[0])
	temps, uses := l.multiValueTemps(tup, e.Lparen)
	as := &node{op: "as2func", pos: e.Lparen, kids: append(temps, call)}
	as.attr("n=%d", tup.Len())
	l.pending = append(l.pending, as)
	return uses
}

// multiValueTemps is the compiler's typecheck.RewriteMultiValueCall for f(g()) and for
// x, y = g() with results of other types than x and y: one temporary per result, declared
// where the call is (a dcl each, pending before the statement: at its loop depth), which
// the call's results are assigned to. Returns the temporaries as assignment targets and
// as values.
func (l *lowerer) multiValueTemps(tup *types.Tuple, pos token.Pos) (temps, uses []*node) {
	for i := 0; i < tup.Len(); i++ {
		t := tup.At(i).Type()
		vi := l.temp(t, pos)
		l.pending = append(l.pending, (&node{op: "dcl", pos: pos, text: vi.name}).attr("var=%d", vi.id))
		temps = append(temps, tempName(vi, t, pos))
		uses = append(uses, tempName(vi, t, pos))
	}
	return temps, uses
}

func isByteOrRuneSlice(t types.Type) bool {
	s, ok := t.Underlying().(*types.Slice)
	if !ok {
		return false
	}
	b, ok := s.Elem().Underlying().(*types.Basic)
	return ok && (b.Kind() == types.Byte || b.Kind() == types.Rune)
}

func isKind(t types.Type, info types.BasicInfo) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&info != 0
}

func (l *lowerer) conversion(e *ast.CallExpr, to types.Type) *node {
	arg := e.Args[0]
	from := l.typeOf(arg)
	switch {
	case isInterface(to) && !isInterface(from) && !isUntypedNil(from):
		c := &node{op: "conviface", pos: e.Lparen, text: l.p.expr(e), kids: []*node{l.expr(arg)}}
		c.attr("p")
		if !isDirectIface(types.Default(from)) {
			c.attr("spill")
		}
		return c
	case isKind(to, types.IsString) && (isByteOrRuneSlice(from) || isKind(from, types.IsInteger)),
		isByteOrRuneSlice(to) && isKind(from, types.IsString):
		return l.mk("strconv", e.Lparen, e, l.expr(arg))
	case isUnsafePointer(to) && isKind(from, types.IsInteger):
		return l.mk("unsafeval", e.Lparen, e, l.expr(arg))
	}
	n := l.mk("conv", e.Lparen, e, l.expr(arg))
	if isUnsafePointer(from) {
		n.attr("fromunsafe")
	}
	return n
}

func isUnsafePointer(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Kind() == types.UnsafePointer
}

func (l *lowerer) builtin(e *ast.CallExpr, name string) *node {
	args := func() []*node {
		var out []*node
		for _, a := range e.Args {
			out = append(out, l.expr(a))
		}
		return out
	}
	switch name {
	case "delete": // the key is converted to the map's key type, at the key
		if m, ok := l.typeOf(e.Args[0]).Underlying().(*types.Map); ok && len(e.Args) == 2 {
			return l.mk("builtin", e.Lparen, e, l.expr(e.Args[0]), l.conv(e.Args[1], m.Key(), e.Args[1].Pos()))
		}
	case "new":
		n := l.mk("new", e.Lparen, e)
		if l.sizeof(l.typeOf(e.Args[0])) > maxImplicitStackVarSize {
			n.attr("why=too large for stack")
		}
		return n
	case "make":
		return l.makeCall(e)
	case "append":
		return l.appendCall(e)
	case "copy":
		n := l.mk("copy", e.Lparen, e, args()...)
		if s, ok := l.typeOf(e.Args[1]).Underlying().(*types.Slice); ok && hasPointers(s.Elem()) {
			n.attr("srcptr")
		}
		return n
	case "panic":
		return l.mk("panic", e.Lparen, e, l.conv(e.Args[0], types.NewInterfaceType(nil, nil), l.panicPos(e)))
	case "Add", "Slice": // unsafe
		return l.mk("unsafeadd", e.Lparen, e, args()...)
	}
	// len, cap, close, delete, print, println, recover, complex, real, imag, ...: their
	// operands flow nowhere.
	return l.mk("builtin", e.Lparen, e, args()...)
}

func (l *lowerer) makeCall(e *ast.CallExpr) *node {
	t := l.typeOf(e.Args[0])
	var kids []*node
	for _, a := range e.Args[1:] {
		kids = append(kids, l.expr(a))
	}
	switch u := t.Underlying().(type) {
	case *types.Slice:
		n := l.mk("makeslice", e.Lparen, e, kids...)
		size := e.Args[len(e.Args)-1]
		v := l.info.Types[size].Value
		if v != nil {
			v = constant.ToInt(v)
		}
		c, exact := int64(0), false
		if v != nil && v.Kind() == constant.Int {
			c, exact = constant.Int64Val(v)
		}
		elem := l.sizeof(u.Elem())
		switch {
		case !exact || c < math.MinInt32 || c > math.MaxInt32:
			n.attr("why=non-constant size")
		case elem != 0 && c > maxImplicitStackVarSize/elem:
			n.attr("why=too large for stack")
		}
		return n
	case *types.Map:
		return l.mk("makemap", e.Lparen, e, kids...)
	}
	return l.mk("makechan", e.Lparen, e, kids...)
}

func (l *lowerer) appendCall(e *ast.CallExpr) *node {
	n := l.mk("append", e.Lparen, e, l.expr(e.Args[0]))
	st, _ := l.typeOf(e.Args[0]).Underlying().(*types.Slice)
	if st == nil {
		l.unsupportedNote(e.Pos(), "unsupported append")
		return l.unsupported(e)
	}
	if hasPointers(st.Elem()) {
		n.attr("elemptr")
	}
	if e.Ellipsis.IsValid() {
		n.attr("ddd")
		if s, ok := l.typeOf(e.Args[1]).Underlying().(*types.Slice); ok && hasPointers(s.Elem()) {
			n.attr("srcptr")
		}
		return n.withArgs([]*node{l.expr(e.Args[1])})
	}
	// The noder converts the values once it has gone through every argument (no position
	// of its own in between, unlike a call's): all at the one it stands at then.
	pos := e.Lparen
	for _, a := range e.Args {
		pos = l.nodedPos(a, pos)
	}
	for _, a := range e.Args[1:] {
		n.kids = append(n.kids, l.conv(a, st.Elem(), pos))
	}
	return n
}

// panicPos is where the compiler reports the conversion of panic's argument: where the
// noder stands once it has gone through the argument (nodedPos; tests/escape/corpus/
// panics.go), or panic's "(" when nothing inside sets a position (a constant).
func (l *lowerer) panicPos(e *ast.CallExpr) token.Pos {
	return l.nodedPos(e.Args[0], e.Lparen)
}

// nodedPos is the position the compiler's noder has set last once it has gone through x,
// from pos before it: each expression that is not a constant sets its own on the way down
// and its operands then theirs, so the last variable's name wins (x in panic(x), e in e.s,
// x in m[x], s in "a" + s + "b"; pkg.V sets its selector's); a composite literal sets its
// "{" before its elements, and a call its "(" again once its arguments are done.
// Conversions the noder makes next are reported there (panic's argument, an assignment's
// right side, append's values).
func (l *lowerer) nodedPos(x ast.Expr, pos token.Pos) token.Pos {
	var visit func(x ast.Expr)
	visit = func(x ast.Expr) {
		switch x := unparen(x).(type) {
		case *ast.Ident:
			if v, ok := l.objOf(x).(*types.Var); ok && v != nil {
				pos = x.Pos()
			}
		case *ast.SelectorExpr:
			if l.isName(x) {
				if _, ok := l.objOf(x.Sel).(*types.Var); ok {
					pos = synPos(x)
				}
				return
			}
			visit(x.X)
		case *ast.IndexExpr:
			visit(x.X)
			visit(x.Index)
		case *ast.SliceExpr:
			visit(x.X)
			for _, b := range []ast.Expr{x.Low, x.High, x.Max} {
				if b != nil {
					visit(b)
				}
			}
		case *ast.StarExpr:
			visit(x.X)
		case *ast.UnaryExpr:
			visit(x.X)
		case *ast.BinaryExpr:
			visit(x.X)
			visit(x.Y)
		case *ast.CompositeLit:
			pos = x.Lbrace
			for _, a := range x.Elts {
				if kv, ok := a.(*ast.KeyValueExpr); ok {
					a = kv.Value
				}
				visit(a)
			}
		case *ast.CallExpr:
			if l.info.Types[x.Fun].IsType() {
				visit(x.Args[0])
				return
			}
			visit(x.Fun)
			for _, a := range x.Args {
				visit(a)
			}
			pos = x.Lparen
		}
	}
	visit(x)
	return pos
}

// staticCallee follows a variable assigned once to the function it holds, through other
// such variables (g := f; f := F or f := func...), as the compiler's ir.StaticValue does,
// each a variable of the function being lowered (ownVar: not a closure's captured one);
// nil when the value is not a function of this package known here. A function literal
// reached through another variable is not "called" (it also flows as a value).
func (l *lowerer) staticCallee(v *types.Var) *fnInfo {
	for depth := 0; depth < 16 && !l.reassigned[v] && l.ownVar(v); depth++ {
		e, ok := l.staticVal[v]
		if !ok {
			return nil
		}
		switch x := unparen(e).(type) {
		case *ast.FuncLit:
			return l.cloFn[x]
		case *ast.Ident:
			switch o := l.objOf(x).(type) {
			case *types.Func:
				return l.funcOf[o]
			case *types.Var:
				v = o
				continue
			}
		}
		return nil
	}
	return nil
}
