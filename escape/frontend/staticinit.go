package main

// The static part of the package initialiser.
//
// gc lays out much of `var x = ...` at package level in the binary's data instead of
// running code for it (staticinit/sched.go, staticAssign), and escape analysis only sees
// what is left for the initialiser to do. For a composite literal of array, slice or
// struct type, and for &T{...}, the storage is static: no allocation, so no message. Its
// elements are placed one by one the same way:
//   - constants and nil are data, and so is []byte("constant");
//   - nested literals and &T{...} are static storage again, recursively;
//   - a value stored in an interface is boxed in static storage (the conversion itself
//     allocates nothing), and the value is placed there by the same rules;
//   - a function literal without captured variables (none can be captured at package
//     level) is a static function value: its body is analysed, the literal reports nothing;
//   - anything else (a call, make, a map literal, a variable) is left to the initialiser,
//     which stores it into the static storage, that is, to the heap.
// A value that is not itself one of the static forms (a literal of those kinds, &T{...}, a
// function literal) goes through the initialiser whole, as an assignment to the variable;
// but a variable of interface type holds any other value in a static box the same way.

import (
	"go/ast"
	"go/types"
)

// packageVars lowers `var a, b = x, y` at package level: one assignment per variable, with
// the static parts of each value left out.
func (l *lowerer) packageVars(vs *ast.ValueSpec, lhs []*node) []*node {
	var out []*node
	for i, v := range vs.Values {
		dst := lhs[i]
		t := l.typeOf(vs.Names[i])
		if l.staticForm(v) || l.boxed(v, t) {
			out = append(out, l.staticParts(dst, v, t)...)
			continue
		}
		as := l.dynamicPart(dst, vs.Names[i].Name+" = "+l.p.expr(v), v, t)
		as.pos = vs.Names[i].Pos()
		out = append(out, as)
	}
	return out
}

// boxed: e is converted to the interface type t, which gc does in static storage whatever
// e is (staticinit's OCONVIFACE case): the box is data, e is placed in it by the rules above.
func (l *lowerer) boxed(e ast.Expr, t types.Type) bool {
	from := l.typeOf(e)
	return isInterface(t) && !isInterface(from) && !isUntypedNil(from)
}

func (l *lowerer) staticForm(e ast.Expr) bool {
	switch e := unparen(e).(type) {
	case *ast.FuncLit:
		return true
	case *ast.CompositeLit:
		_, isMap := l.typeOf(e).Underlying().(*types.Map)
		return !isMap
	case *ast.CallExpr: // []byte("constant") is static data too
		return l.constBytes(e)
	case *ast.UnaryExpr:
		_, ok := unparen(e.X).(*ast.CompositeLit)
		return ok && e.Op.String() == "&"
	}
	return false
}

// staticParts returns the assignments the initialiser still makes for value e, placed in
// static storage of type t reached from dst.
func (l *lowerer) staticParts(dst *node, e ast.Expr, t types.Type) []*node {
	e = unparen(e)
	if tv := l.info.Types[e]; tv.Value != nil || tv.IsNil() {
		return nil
	}
	if isInterface(t) && !isInterface(l.typeOf(e)) {
		return l.staticParts(dst, e, l.typeOf(e)) // boxed in static storage
	}
	switch x := e.(type) {
	case *ast.CallExpr:
		if l.constBytes(x) {
			return nil
		}
	case *ast.FuncLit:
		return []*node{{op: "staticfunc", pos: x.Type.Func, kids: []*node{l.expr(x)}}}
	case *ast.UnaryExpr:
		if cl, ok := unparen(x.X).(*ast.CompositeLit); ok && x.Op.String() == "&" {
			return l.staticParts(dst, cl, l.typeOf(cl))
		}
	case *ast.CompositeLit:
		lt := l.typeOf(x)
		if p, ok := lt.Underlying().(*types.Pointer); ok { // elided &T
			lt = p.Elem()
		}
		var out []*node
		switch u := lt.Underlying().(type) {
		case *types.Struct:
			for i, elt := range x.Elts {
				if kv, ok := elt.(*ast.KeyValueExpr); ok {
					out = append(out, l.staticParts(dst, kv.Value, l.fieldByName(u, kv.Key.(*ast.Ident).Name).Type())...)
				} else {
					out = append(out, l.staticParts(dst, elt, u.Field(i).Type())...)
				}
			}
			return out
		case *types.Array, *types.Slice:
			elem := u.(interface{ Elem() types.Type }).Elem()
			for _, elt := range x.Elts {
				if kv, ok := elt.(*ast.KeyValueExpr); ok {
					elt = kv.Value
				}
				out = append(out, l.staticParts(dst, elt, elem)...)
			}
			return out
		}
	}
	return []*node{l.dynamicPart(dst, dst.text+" = "+l.p.expr(e), e, t)}
}

// dynamicPart is the initialiser's assignment of e (converted to t) into dst's storage.
func (l *lowerer) dynamicPart(dst *node, text string, e ast.Expr, t types.Type) *node {
	n := &node{op: "as", pos: synPos(e), text: text, kids: []*node{dst, l.element(e, t, synPos(e))}}
	return n.attr("n=1").attr("why=assign")
}

func (l *lowerer) constBytes(e *ast.CallExpr) bool {
	tv := l.info.Types[e.Fun]
	if !tv.IsType() || len(e.Args) != 1 || l.info.Types[e.Args[0]].Value == nil {
		return false
	}
	sl, ok := tv.Type.Underlying().(*types.Slice)
	if !ok {
		return false
	}
	b, ok := sl.Elem().Underlying().(*types.Basic)
	return ok && b.Kind() == types.Byte
}
