package main

// Devirtualisation, as gc's devirtualize pass does it before escape analysis
// (cmd/compile/internal/devirtualize): an interface method call x.M(...) whose receiver x
// is a variable assigned once, from a conversion of a concrete type T to the interface
// (var x I = v, x := I(v)), is a call of T's method M on x.(T):
//   - M found on T itself or through embedded concrete fields: a static call of that
//     method ("devirtualizing x.M to T"), its receiver x.(T) with the embedded fields and
//     the & or * the method's receiver needs;
//   - M promoted from an embedded interface field: still an interface call, now on that
//     field of x.(T) ("partially devirtualizing x.M to T").
// The escape analysis that follows sees the rewritten call, so the callee's summary
// applies to the receiver instead of the heap.

import (
	"go/ast"
	"go/types"
)

// devirtualize returns the rewritten receiver (nil when the call is left alone) and, when
// the call became static, the method called (fn, or ext for an imported one).
func (l *lowerer) devirtualize(call *ast.CallExpr, sel *ast.SelectorExpr) (recv *node, fn *fnInfo, ext string, static bool) {
	id, isIdent := unparen(sel.X).(*ast.Ident)
	if !isIdent {
		return nil, nil, "", false
	}
	v, isVar := l.objOf(id).(*types.Var)
	if !isVar || l.reassigned[v] || !l.ownVar(v) {
		return nil, nil, "", false
	}
	val, found := l.staticVal[v]
	if !found {
		return nil, nil, "", false
	}
	val = unparen(val)
	if c, isCall := val.(*ast.CallExpr); isCall && l.info.Types[c.Fun].IsType() && len(c.Args) == 1 {
		val = unparen(c.Args[0]) // I(v): the explicit conversion
	}
	t := l.typeOf(val)
	if isInterface(t) || isUntypedNil(t) || !isInterface(v.Type()) {
		return nil, nil, "", false
	}
	obj, index, _ := types.LookupFieldOrMethod(t, false, l.pkg, sel.Sel.Name)
	m, isFunc := obj.(*types.Func)
	if !isFunc {
		return nil, nil, "", false
	}
	pos := synPos(sel)
	dt := l.mk("dottype", pos, nil, l.expr(sel.X))
	dt.text = l.p.expr(sel.X) + ".(" + l.p.typ(t) + ")"
	l.typeAttrs(dt, t)
	if isDirectIface(t) {
		dt.attr("direct")
	}
	x, xt := l.fieldPath(dt, t, index[:len(index)-1], pos)
	what := l.p.expr(sel.X) + "." + sel.Sel.Name + " to " + l.p.typ(t)
	if isInterface(xt) { // promoted from an embedded interface: the call stays dynamic
		l.messages = append(l.messages, message{call.Lparen, "partially devirtualizing " + what})
		return x, nil, "", false
	}
	want := m.Type().(*types.Signature).Recv().Type()
	switch {
	case isPointer(want) && !isPointer(xt):
		x = &node{op: "addr", pos: pos, text: "&" + x.text, kids: []*node{x}}
		x.attr("p")
	case !isPointer(want) && isPointer(xt):
		x = &node{op: "deref", pos: pos, text: "*" + x.text, kids: []*node{x}}
		l.typeAttrs(x, want)
	}
	l.messages = append(l.messages, message{call.Lparen, "devirtualizing " + what})
	if f := l.funcOf[m]; f != nil {
		return x, f, "", true
	}
	return x, nil, l.extName(m), true
}
