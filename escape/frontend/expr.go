package main

// Lowering of expressions and calls.

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strings"
)

func (l *lowerer) expr(e ast.Expr) *node {
	tv := l.info.Types[e]
	if tv.Value != nil || tv.IsType() {
		return l.mk("lit", synPos(e), e)
	}
	switch e := e.(type) {
	case *ast.ParenExpr:
		return l.expr(e.X)
	case *ast.Ident:
		return l.ident(e)
	case *ast.BasicLit:
		return l.mk("lit", e.Pos(), e)
	case *ast.FuncLit:
		return l.closure(e)
	case *ast.CompositeLit:
		return l.complit(e)
	case *ast.SelectorExpr:
		return l.selector(e)
	case *ast.IndexExpr:
		return l.index(e)
	case *ast.SliceExpr:
		return l.slice(e)
	case *ast.StarExpr:
		return l.mk("deref", e.Star, e, l.expr(e.X))
	case *ast.UnaryExpr:
		switch e.Op {
		case token.AND:
			if cl, ok := unparen(e.X).(*ast.CompositeLit); ok {
				return l.ptrlit(e, l.complit(cl), l.typeOf(cl))
			}
			return l.mk("addr", e.OpPos, e, l.expr(e.X))
		case token.ARROW:
			return l.mk("recv", e.OpPos, e, l.expr(e.X))
		}
		return l.mk("op", e.OpPos, e, l.expr(e.X))
	case *ast.BinaryExpr:
		if b, ok := l.typeOf(e).Underlying().(*types.Basic); ok && e.Op == token.ADD && b.Info()&types.IsString != 0 {
			n := l.mk("addstr", e.OpPos, e)
			l.addstrOperands(n, e)
			return n
		}
		return l.mk("op", e.OpPos, e, l.expr(e.X), l.expr(e.Y))
	case *ast.TypeAssertExpr:
		n := l.mk("dottype", synPos(e), e, l.expr(e.X))
		t := l.typeOf(e) // in v, ok := x.(T) a tuple: the asserted type is T's
		if e.Type != nil {
			t = l.typeOf(e.Type)
		}
		if isInterface(t) {
			n.attr("iface")
		}
		if isDirectIface(t) {
			n.attr("direct")
		}
		return n
	case *ast.CallExpr:
		return l.call(e)
	}
	l.unsupportedNote(e.Pos(), "unsupported expression %T", e)
	return l.unsupported(e)
}

func (l *lowerer) addstrOperands(n *node, e ast.Expr) {
	if b, ok := unparen(e).(*ast.BinaryExpr); ok && b.Op == token.ADD && l.info.Types[b].Value == nil {
		l.addstrOperands(n, b.X)
		l.addstrOperands(n, b.Y)
		return
	}
	n.kids = append(n.kids, l.expr(e))
}

func (l *lowerer) ident(id *ast.Ident) *node {
	switch o := l.objOf(id).(type) {
	case *types.Var:
		if vid, ok := l.varID[o]; ok {
			return l.mk("name", id.Pos(), id).attr("var=%d", vid)
		}
		return l.mk("global", id.Pos(), id)
	case *types.Func:
		n := l.mk("lit", id.Pos(), id)
		if fn, ok := l.funcOf[o]; ok {
			n.attr("fn=%d", fn.id)
		}
		return n
	}
	return l.mk("lit", id.Pos(), id)
}

// fieldPath applies the implicit field selections of an embedded path to x.
func (l *lowerer) fieldPath(x *node, t types.Type, path []int, pos token.Pos) (*node, types.Type) {
	text := x.text
	for _, i := range path {
		op := "dot"
		if p, ok := t.Underlying().(*types.Pointer); ok {
			op = "dotptr"
			t = p.Elem()
		}
		f := t.Underlying().(*types.Struct).Field(i)
		text += "." + f.Name()
		x = &node{op: op, pos: pos, text: text, kids: []*node{x}}
		t = f.Type()
		l.typeAttrs(x, t)
	}
	return x, t
}

func (l *lowerer) selector(e *ast.SelectorExpr) *node {
	sel := l.info.Selections[e]
	if sel == nil { // qualified identifier
		return l.ident(e.Sel)
	}
	pos := synPos(e)
	switch sel.Kind() {
	case types.FieldVal:
		x, _ := l.fieldPath(l.expr(e.X), l.typeOf(e.X), sel.Index(), pos)
		x.text = l.p.expr(e)
		if isHeaderData(sel) {
			x.attr("hdrdata")
		}
		return x
	case types.MethodVal:
		recv, fn, ext, iface := l.receiver(e, sel)
		n := l.mk("methvalue", pos, e, recv)
		if iface {
			n.attr("iface")
		} else if fn != nil {
			n.attr("fn=%d", fn.id)
		} else {
			n.attr("ext=%s", ext)
		}
		return n
	}
	n := l.mk("lit", pos, e) // method expression T.M
	if fn, ok := l.funcOf[sel.Obj().(*types.Func)]; ok {
		n.attr("fn=%d", fn.id)
	}
	return n
}

// receiver lowers the receiver of method selection e: the embedded path, then & or * so
// that it matches the method's receiver. iface: the method is an interface's.
func (l *lowerer) receiver(e *ast.SelectorExpr, sel *types.Selection) (recv *node, fn *fnInfo, ext string, iface bool) {
	path := sel.Index()
	pos := synPos(e)
	x, t := l.fieldPath(l.expr(e.X), l.typeOf(e.X), path[:len(path)-1], pos)
	m := sel.Obj().(*types.Func)
	if isInterface(t) {
		return x, nil, "", true
	}
	want := m.Type().(*types.Signature).Recv().Type()
	switch {
	case isPointer(want) && !isPointer(t):
		x = &node{op: "addr", pos: pos, text: "&" + x.text, kids: []*node{x}}
		x.attr("p")
	case !isPointer(want) && isPointer(t):
		x = &node{op: "deref", pos: pos, text: "*" + x.text, kids: []*node{x}}
		l.typeAttrs(x, want)
	}
	if fn := l.funcOf[m]; fn != nil {
		return x, fn, "", false
	}
	return x, nil, l.extName(m), false
}

func (l *lowerer) index(e *ast.IndexExpr) *node {
	pos := e.Lbrack
	switch t := l.typeOf(e.X).Underlying().(type) {
	case *types.Map:
		return l.mk("indexmap", pos, e, l.expr(e.X), l.conv(e.Index, t.Key(), e.Index.Pos()))
	case *types.Array:
		return l.mk("index", pos, e, l.expr(e.X), l.expr(e.Index)).attr("array")
	case *types.Pointer: // p[i] on *[N]T
		x := l.mk("deref", pos, e.X, l.expr(e.X))
		x.text = "*" + x.text
		l.typeAttrs(x, t.Elem())
		return l.mk("index", pos, e, x, l.expr(e.Index)).attr("array")
	case *types.Slice, *types.Basic:
		return l.mk("index", pos, e, l.expr(e.X), l.expr(e.Index))
	}
	l.unsupportedNote(e.Pos(), "unsupported index expression (generic instantiation?)")
	return l.unsupported(e)
}

func (l *lowerer) slice(e *ast.SliceExpr) *node {
	x := l.expr(e.X)
	if _, ok := l.typeOf(e.X).Underlying().(*types.Array); ok {
		x = &node{op: "addr", pos: e.Lbrack, text: "&" + x.text, kids: []*node{x}}
		x.attr("p")
	}
	n := l.mk("slice", e.Lbrack, e, x)
	for _, b := range []ast.Expr{e.Low, e.High, e.Max} {
		if b != nil {
			n.kids = append(n.kids, l.expr(b))
		}
	}
	return n
}

// ---- allocations ----

func (l *lowerer) ptrlit(e ast.Expr, lit *node, elem types.Type) *node {
	n := l.mk("ptrlit", synPos(e), e, lit)
	if l.sizeof(elem) > maxImplicitStackVarSize {
		n.attr("why=too large for stack")
	}
	return n
}

func (l *lowerer) complit(e *ast.CompositeLit) *node {
	t := l.typeOf(e)
	if p, ok := t.Underlying().(*types.Pointer); ok { // elided &T in []*T{{...}}
		t = p.Elem()
	}
	pos := e.Lbrace
	switch u := t.Underlying().(type) {
	case *types.Struct:
		n := l.mk("structlit", pos, e)
		for i, elt := range e.Elts {
			if kv, ok := elt.(*ast.KeyValueExpr); ok {
				f := l.fieldByName(u, kv.Key.(*ast.Ident).Name)
				n.kids = append(n.kids, l.element(kv.Value, f.Type(), kv.Colon))
			} else {
				n.kids = append(n.kids, l.element(elt, u.Field(i).Type(), synPos(elt)))
			}
		}
		return n
	case *types.Array:
		return l.listLit("arraylit", e, u.Elem())
	case *types.Slice:
		return l.listLit("slicelit", e, u.Elem())
	case *types.Map:
		n := l.mk("maplit", pos, e)
		for _, elt := range e.Elts {
			kv := elt.(*ast.KeyValueExpr)
			n.kids = append(n.kids, l.element(kv.Key, u.Key(), kv.Key.Pos()), l.element(kv.Value, u.Elem(), kv.Colon))
		}
		return n
	}
	l.unsupportedNote(e.Pos(), "unsupported composite literal of %s", t)
	return l.unsupported(e)
}

func (l *lowerer) listLit(op string, e *ast.CompositeLit, elem types.Type) *node {
	n := l.mk(op, e.Lbrace, e)
	for _, elt := range e.Elts {
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			l.expr(kv.Key)
			n.kids = append(n.kids, l.element(kv.Value, elem, kv.Colon))
		} else {
			n.kids = append(n.kids, l.element(elt, elem, synPos(elt)))
		}
	}
	return n
}

func (l *lowerer) fieldByName(s *types.Struct, name string) *types.Var {
	for i := 0; i < s.NumFields(); i++ {
		if s.Field(i).Name() == name {
			return s.Field(i)
		}
	}
	return s.Field(0)
}

// element lowers a composite literal's element; an elided {...} of pointer type is &T{...}.
func (l *lowerer) element(e ast.Expr, t types.Type, pos token.Pos) *node {
	if cl, ok := e.(*ast.CompositeLit); ok && cl.Type == nil {
		if p, ok := t.Underlying().(*types.Pointer); ok {
			n := l.ptrlit(cl, l.complit(cl), p.Elem())
			n.text = "&" + n.text
			return n
		}
	}
	return l.conv(e, t, pos)
}

// closure lowers a function literal: its own func record (parent: the enclosing function),
// and a "closure" node naming it and the enclosing variables it uses.
func (l *lowerer) closure(e *ast.FuncLit) *node {
	outer := l.cur
	sig := l.typeOf(e).(*types.Signature)
	fn := l.newFunc(l.closureName(), e.Type.Func, sig, outer.id)
	fn.flags = append(fn.flags, "body")
	l.cloFn[e] = fn
	n := l.mk("closure", e.Type.Func, e)
	n.attr("fn=%d", fn.id)
	var caps []string
	seen := map[int]bool{}
	ast.Inspect(e.Body, func(x ast.Node) bool {
		if id, ok := x.(*ast.Ident); ok {
			if v, ok := l.info.Uses[id].(*types.Var); ok {
				if vid, ok := l.varID[v]; ok && !seen[vid] && (v.Pos() < e.Pos() || v.Pos() >= e.End()) {
					seen[vid] = true
					caps = append(caps, itoa(vid))
				}
			}
		}
		return true
	})
	if len(caps) > 0 {
		n.attr("cap=%s", strings.Join(caps, ";"))
	}
	saved, savedPending := l.cur, l.pending
	l.cur, l.pending = fn, nil
	l.declareSignature(sig)
	fn.looping = loopingLabels(e.Body)
	fn.body = l.stmts(e.Body.List)
	l.cur, l.pending = saved, savedPending
	return n
}

func itoa(i int) string { return constant.MakeInt64(int64(i)).ExactString() }

// isHeaderData tells whether sel is the Data field of reflect.SliceHeader or StringHeader:
// a uintptr that holds a pointer, which the compiler follows through unsafe conversions.
func isHeaderData(sel *types.Selection) bool {
	t := sel.Recv()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := t.(*types.Named)
	if !ok || len(sel.Index()) != 1 || sel.Obj().Name() != "Data" {
		return false
	}
	o := named.Obj()
	return o.Pkg() != nil && o.Pkg().Path() == "reflect" &&
		(o.Name() == "SliceHeader" || o.Name() == "StringHeader")
}
