package main

// Lowering of statements.

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

func (l *lowerer) stmts(list []ast.Stmt) []*node {
	var out []*node
	for _, s := range list {
		if !l.dead[s] {
			out = append(out, l.stmt(s)...)
		}
	}
	return out
}

// stmt lowers s, preceded by the statements its expressions needed (temporaries).
func (l *lowerer) stmt(s ast.Stmt) []*node {
	saved := l.pending
	l.pending = nil
	ns := l.stmt1(s)
	out := append(l.pending, ns...)
	l.pending = saved
	return out
}

func (l *lowerer) stmt1(s ast.Stmt) []*node {
	switch s := s.(type) {
	case nil, *ast.EmptyStmt, *ast.BranchStmt:
		return nil
	case *ast.BlockStmt:
		return []*node{l.block(s.List, s.Lbrace)}
	case *ast.ExprStmt:
		return []*node{l.expr(s.X)}
	case *ast.AssignStmt:
		return l.assign(s)
	case *ast.IncDecStmt:
		n := &node{op: "as", pos: s.TokPos, text: l.p.expr(s.X) + s.Tok.String()}
		n.attr("n=1").attr("why=assign")
		n.kids = []*node{l.lhs(s.X, false), {op: "lit", pos: s.TokPos}}
		return []*node{n}
	case *ast.DeclStmt:
		gd, ok := s.Decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			return nil
		}
		var out []*node
		for _, spec := range gd.Specs {
			out = append(out, l.valueSpec(spec.(*ast.ValueSpec), true)...)
		}
		return out
	case *ast.ReturnStmt:
		return l.ret(s)
	case *ast.IfStmt:
		return l.withInit(s.Init, func() *node {
			n := &node{op: "if", pos: s.If}
			body := s.Body.List
			if l.dead[s.Body] {
				body = nil
			}
			n.kids = []*node{l.expr(s.Cond), l.block(body, s.Body.Lbrace), none()}
			if s.Else != nil && !l.dead[s.Else] {
				n.kids[2] = &node{op: "block", pos: s.Else.Pos(), kids: l.stmt(s.Else)}
			}
			return n
		})
	case *ast.ForStmt:
		return l.withInit(s.Init, func() *node {
			n := &node{op: "for", pos: s.For}
			cond, post := none(), none()
			if s.Cond != nil {
				cond = l.expr(s.Cond)
			}
			if s.Post != nil {
				post = &node{op: "block", pos: s.Post.Pos(), kids: l.stmt(s.Post)}
			}
			n.kids = []*node{cond, post, l.block(s.Body.List, s.Body.Lbrace)}
			return n
		})
	case *ast.RangeStmt:
		return l.rangeStmt(s)
	case *ast.SwitchStmt:
		return l.switchStmt(s)
	case *ast.TypeSwitchStmt:
		return l.typeSwitch(s)
	case *ast.SelectStmt:
		n := &node{op: "select", pos: s.Select}
		for _, c := range s.Body.List {
			cc := c.(*ast.CommClause)
			comm := &node{op: "block", pos: cc.Case, kids: l.stmt(cc.Comm)}
			n.kids = append(n.kids, &node{op: "scase", pos: cc.Case,
				kids: []*node{comm, l.block(cc.Body, cc.Colon)}})
		}
		return []*node{n}
	case *ast.SendStmt:
		ch := l.typeOf(s.Chan).Underlying().(*types.Chan)
		n := &node{op: "send", pos: s.Arrow, text: l.p.expr(s.Chan) + " <- " + l.p.expr(s.Value)}
		n.kids = []*node{l.expr(s.Chan), l.conv(s.Value, ch.Elem(), s.Value.Pos())}
		return []*node{n}
	case *ast.GoStmt:
		return []*node{{op: "go", pos: s.Go, text: "go " + l.p.expr(s.Call), kids: []*node{l.expr(s.Call)}}}
	case *ast.DeferStmt:
		return []*node{{op: "defer", pos: s.Defer, text: "defer " + l.p.expr(s.Call), kids: []*node{l.expr(s.Call)}}}
	case *ast.LabeledStmt:
		n := &node{op: "label", pos: s.Label.Pos(), text: s.Label.Name}
		if l.cur.looping[s.Label.Name] {
			n.attr("looping")
		}
		return append([]*node{n}, l.stmt(s.Stmt)...)
	}
	l.unsupportedNote(s.Pos(), "unsupported statement %T", s)
	return []*node{l.unsupported(s)}
}

// withInit lowers a statement with an init statement (if, for, switch): the init first, as
// the variables it declares must be known when the rest mentions them.
func (l *lowerer) withInit(init ast.Stmt, rest func() *node) []*node {
	if init == nil {
		return []*node{rest()}
	}
	first := l.stmt(init)
	return []*node{{op: "block", pos: init.Pos(), kids: append(first, rest())}}
}

// unsupported stands for a construct the lowering does not know: every local variable it
// mentions has its address flow to the heap, so the analysis stays conservative.
func (l *lowerer) unsupported(n ast.Node) *node {
	u := &node{op: "unsup", pos: n.Pos()}
	ast.Inspect(n, func(x ast.Node) bool {
		if id, ok := x.(*ast.Ident); ok {
			if v, ok := l.info.Uses[id].(*types.Var); ok {
				if vid, ok := l.varID[v]; ok {
					u.kids = append(u.kids, (&node{op: "name", pos: id.Pos(), text: id.Name}).attr("var=%d", vid))
				}
			}
		}
		return true
	})
	return u
}

// lhs lowers an assignment's destination. define: the statement declares it.
func (l *lowerer) lhs(e ast.Expr, define bool) *node {
	if id, ok := unparen(e).(*ast.Ident); ok {
		if id.Name == "_" {
			return &node{op: "blank", pos: id.Pos()}
		}
		if v, ok := l.objOf(id).(*types.Var); ok {
			if vid, ok := l.varID[v]; ok {
				n := l.mk("name", id.Pos(), id).attr("var=%d", vid)
				if define {
					n.attr("def")
				}
				return n
			}
			return l.mk("global", id.Pos(), id)
		}
	}
	return l.expr(e)
}

func (l *lowerer) objOf(id *ast.Ident) types.Object {
	if o := l.info.Defs[id]; o != nil {
		return o
	}
	return l.info.Uses[id]
}

func (l *lowerer) dcl(id *ast.Ident, class string) *node {
	v, ok := l.info.Defs[id].(*types.Var)
	if !ok || id.Name == "_" {
		return nil
	}
	vid := l.declare(v, class, id.Pos(), id.Name)
	return (&node{op: "dcl", pos: id.Pos(), text: id.Name}).attr("var=%d", vid)
}

// assign lowers =, := and op= . As the compiler's noder, the right side first, then the left,
// and := declares its new variables after its right side: the temporaries the right side
// needs are numbered before them (lowerer.temp).
func (l *lowerer) assign(s *ast.AssignStmt) []*node {
	define := s.Tok == token.DEFINE
	n := &node{op: "as", pos: s.TokPos}
	n.attr("n=%d", len(s.Lhs))
	var rhs []*node
	if len(s.Lhs) == len(s.Rhs) {
		why := "assign"
		if len(s.Lhs) > 1 {
			why = "assign-pair"
		}
		n.attr("why=%s", why)
		convPos := s.Lhs[len(s.Lhs)-1].Pos()
		if !define && s.Tok == token.ASSIGN {
			convPos = l.assignPos(s)
		}
		for i, r := range s.Rhs {
			var to types.Type
			if !define && s.Tok == token.ASSIGN {
				to = l.typeOf(s.Lhs[i])
			}
			rhs = append(rhs, l.conv(r, to, convPos))
		}
	} else if tup, ok := l.typeOf(s.Rhs[0]).(*types.Tuple); ok && isCall(s.Rhs[0]) && l.mismatched(s.Lhs, tup) {
		// a, b = f() with a result of another type than its variable: the compiler's
		// RewriteMultiValueCall: t1, t2 = f() first, then a, b = t1, t2 converting.
		call := l.expr(unparen(s.Rhs[0]))
		convPos := l.assignPos(s)
		temps, uses := l.multiValueTemps(tup, convPos)
		as := &node{op: "as2func", pos: s.TokPos, kids: append(temps, call)}
		as.attr("n=%d", tup.Len())
		l.pending = append(l.pending, as)
		n.attr("why=assign-pair")
		for i, u := range uses {
			rhs = append(rhs, convNode(u, tup.At(i).Type(), l.typeOf(s.Lhs[i]), convPos))
		}
	} else { // v, ok = x.(T) / m[k] / <-ch, or a, b = f()
		switch unparen(s.Rhs[0]).(type) {
		case *ast.CallExpr:
			n.op = "as2func"
		case *ast.TypeAssertExpr:
			n.attr("why=assign-pair-dot-type")
		case *ast.IndexExpr:
			n.attr("why=assign-pair-mapr")
		default:
			n.attr("why=assign-pair-receive")
		}
		rhs = []*node{l.expr(unparen(s.Rhs[0]))}
	}
	var out []*node
	if define {
		for _, e := range s.Lhs {
			if d := l.dcl(e.(*ast.Ident), "local"); d != nil {
				out = append(out, d)
			}
		}
	}
	for _, e := range s.Lhs {
		isNew := false
		if id, ok := e.(*ast.Ident); ok && define {
			isNew = l.info.Defs[id] != nil
		}
		n.kids = append(n.kids, l.lhs(e, isNew))
	}
	n.kids = append(n.kids, rhs...)
	n.text = l.p.exprs(s.Lhs) + " " + s.Tok.String() + " " + l.p.exprs(s.Rhs)
	return append(out, n)
}

// assignPos is where the noder stands once it has gone through s's right side, then its
// left: the conversions to the left side's types are reported there.
func (l *lowerer) assignPos(s *ast.AssignStmt) token.Pos {
	pos := token.NoPos
	for _, e := range append(append([]ast.Expr{}, s.Rhs...), s.Lhs...) {
		pos = l.nodedPos(e, pos)
	}
	return pos
}

func isCall(e ast.Expr) bool {
	_, ok := unparen(e).(*ast.CallExpr)
	return ok
}

// mismatched: a variable of lhs (not _) has another type than its value in tup.
func (l *lowerer) mismatched(lhs []ast.Expr, tup *types.Tuple) bool {
	for i, e := range lhs {
		if id, ok := unparen(e).(*ast.Ident); ok && id.Name == "_" {
			continue
		}
		if i < tup.Len() && !types.Identical(l.typeOf(e), tup.At(i).Type()) {
			return true
		}
	}
	return false
}

func (l *lowerer) valueSpec(vs *ast.ValueSpec, local bool) []*node {
	var out []*node
	var lhs []*node
	for _, id := range vs.Names {
		if local {
			if d := l.dcl(id, "local"); d != nil {
				out = append(out, d)
			}
		}
		lhs = append(lhs, l.lhs(id, local))
	}
	if len(vs.Values) == 0 {
		return out
	}
	var names []ast.Expr
	for _, id := range vs.Names {
		names = append(names, id)
	}
	text := l.p.exprs(names) + " = " + l.p.exprs(vs.Values)
	n := &node{op: "as", pos: vs.Names[0].Pos(), text: text, kids: lhs}
	n.attr("n=%d", len(lhs))
	if len(vs.Values) == 1 && len(vs.Names) > 1 {
		n.op = "as2func"
		if _, ok := unparen(vs.Values[0]).(*ast.CallExpr); !ok {
			n.op = "as"
			n.attr("why=assign-pair")
		}
		n.kids = append(n.kids, l.expr(vs.Values[0]))
		return append(out, n)
	}
	if !local && len(vs.Values) == len(vs.Names) {
		return append(out, l.packageVars(vs, lhs)...)
	}
	n.attr("why=assign")
	for i, v := range vs.Values {
		n.kids = append(n.kids, l.conv(v, l.typeOf(vs.Names[i]), synPos(v)))
	}
	return append(out, n)
}

func (l *lowerer) ret(s *ast.ReturnStmt) []*node {
	res := l.cur.sig.Results()
	n := &node{op: "return", pos: s.Return, text: "return " + l.p.exprs(s.Results)}
	if len(s.Results) == 1 && res.Len() > 1 {
		// return f(): the results go through temporaries, as the compiler rewrites it.
		as := &node{op: "as2func", pos: s.Return}
		as.attr("n=%d", res.Len())
		var temps []*node
		for i := 0; i < res.Len(); i++ {
			t := tempName(l.temp(res.At(i).Type(), s.Return), res.At(i).Type(), s.Return)
			as.kids = append(as.kids, t)
			temps = append(temps, t)
		}
		as.kids = append(as.kids, l.expr(s.Results[0]))
		n.kids = temps
		return []*node{as, n}
	}
	// With several results, a variable's name is converted where the last result that is not
	// one is (gc type-checks the list, then converts); anything else at its own position.
	last := s.Return
	for _, r := range s.Results {
		if id, ok := unparen(r).(*ast.Ident); !ok || l.info.Types[id].Value != nil || l.info.Types[id].IsNil() {
			last = synPos(r)
		}
	}
	for i, r := range s.Results {
		pos := synPos(r)
		if _, ok := l.objOf(identOf(r)).(*types.Var); ok && len(s.Results) > 1 {
			pos = last
		}
		n.kids = append(n.kids, l.conv(r, res.At(i).Type(), pos))
	}
	return []*node{n}
}

func (l *lowerer) rangeStmt(s *ast.RangeStmt) []*node {
	var out []*node
	xt := l.typeOf(s.X).Underlying()
	n := &node{op: "range", pos: s.For}
	if _, ok := xt.(*types.Array); ok {
		n.attr("array")
	}
	// The compiler's noder declares the key and value before it evaluates X.
	kv := []*node{none(), none()}
	for i, e := range []ast.Expr{s.Key, s.Value} {
		if e == nil {
			continue
		}
		if s.Tok == token.DEFINE {
			if d := l.dcl(e.(*ast.Ident), "local"); d != nil {
				out = append(out, d)
			}
		}
		kv[i] = l.lhs(e, s.Tok == token.DEFINE)
	}
	x := l.expr(s.X)
	n.text = "range " + l.p.expr(s.X)
	n.kids = []*node{x, kv[0], kv[1], l.block(s.Body.List, s.Body.Lbrace)}
	return append(out, n)
}

func (l *lowerer) switchStmt(s *ast.SwitchStmt) []*node {
	return l.withInit(s.Init, func() *node { return l.switchBody(s) })
}

func (l *lowerer) switchBody(s *ast.SwitchStmt) *node {
	n := &node{op: "switch", pos: s.Switch}
	tag := none()
	if s.Tag != nil {
		tag = l.expr(s.Tag)
	}
	n.kids = []*node{tag}
	for _, c := range s.Body.List {
		cc := c.(*ast.CaseClause)
		if l.dead[cc] {
			continue
		}
		cn := &node{op: "case", pos: cc.Case}
		cn.attr("n=%d", len(cc.List))
		for _, e := range cc.List {
			cn.kids = append(cn.kids, l.expr(e))
		}
		cn.kids = append(cn.kids, l.block(cc.Body, cc.Colon))
		n.kids = append(n.kids, cn)
	}
	return n
}

func (l *lowerer) typeSwitch(s *ast.TypeSwitchStmt) []*node {
	return l.withInit(s.Init, func() *node { return l.typeSwitchBody(s) })
}

func (l *lowerer) typeSwitchBody(s *ast.TypeSwitchStmt) *node {
	var x ast.Expr
	switch a := s.Assign.(type) {
	case *ast.AssignStmt:
		x = a.Rhs[0].(*ast.TypeAssertExpr).X
	case *ast.ExprStmt:
		x = a.X.(*ast.TypeAssertExpr).X
	}
	n := &node{op: "typeswitch", pos: s.Switch, kids: []*node{l.expr(x)}}
	for _, c := range s.Body.List {
		cc := c.(*ast.CaseClause)
		cn := &node{op: "tcase", pos: cc.Case}
		if v, ok := l.info.Implicits[cc].(*types.Var); ok && v.Name() != "_" {
			vid := l.declare(v, "local", cc.Colon, v.Name()) // the compiler's clause variable sits at the ":"
			cn.attr("var=%d", vid)
			t := v.Type()
			if isInterface(t) {
				cn.attr("iface")
			}
			if isDirectIface(t) {
				cn.attr("direct")
			}
			if hasPointers(t) {
				cn.attr("p")
			}
		}
		cn.kids = []*node{l.block(cc.Body, cc.Colon)}
		n.kids = append(n.kids, cn)
	}
	return n
}

// closureName follows the compiler: outer.func1, outer.func2, outer.func1.1, ...
func (l *lowerer) closureName() string {
	l.cur.nclosures++
	if l.cur.parent < 0 {
		return fmt.Sprintf("%s.func%d", strings.TrimPrefix(l.cur.name, "*"), l.cur.nclosures)
	}
	return fmt.Sprintf("%s.%d", l.cur.name, l.cur.nclosures)
}

// identOf returns e as a name, or a name that stands for nothing.
func identOf(e ast.Expr) *ast.Ident {
	if id, ok := unparen(e).(*ast.Ident); ok {
		return id
	}
	return &ast.Ident{Name: "_"}
}
