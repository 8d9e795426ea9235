package main

// Dead code, as gc's dead-code pass removes it before escape analysis
// (cmd/compile/internal/deadcode): nothing in it is analysed or reported.
//
//  1. An if whose condition folds to a constant loses the branch that cannot run. The
//     folding: a constant, or && and || whose left side is one (false && x is false,
//     true && x is x, and the same for ||).
//  2. When the branch that stays ends with return or panic, the statements after the if
//     in its list are dropped too, unless a label follows the if in that list (a goto may
//     jump there).
//  3. A switch on a constant (no tag: true) whose case values are constants up to the one
//     that matches keeps that case alone; when none matches, the default alone. Nothing
//     changes when a kept case falls through.
// markDead records the dropped statements, branches and case clauses in l.dead, which the
// lowering and the bounds-check pass skip.

import (
	"go/ast"
	"go/constant"
	"go/token"
)

func (l *lowerer) markDead(root ast.Node) {
	ast.Inspect(root, func(n ast.Node) bool {
		if l.dead[n] {
			return false
		}
		switch n := n.(type) {
		case *ast.BlockStmt:
			l.deadTail(n.List)
		case *ast.CaseClause:
			l.deadTail(n.Body)
		case *ast.CommClause:
			l.deadTail(n.Body)
		case *ast.IfStmt:
			if cond, known := l.constCond(n.Cond); known {
				if cond && n.Else != nil {
					l.dead[n.Else] = true
				} else if !cond {
					l.dead[n.Body] = true
				}
			}
		case *ast.SwitchStmt:
			l.deadCases(n)
		}
		return true
	})
}

// deadTail drops what follows an if that always returns or panics (rule 2).
func (l *lowerer) deadTail(list []ast.Stmt) {
	lastLabel := -1
	for i, s := range list {
		if _, ok := s.(*ast.LabeledStmt); ok {
			lastLabel = i
		}
	}
	for i, s := range list {
		ifs, ok := s.(*ast.IfStmt)
		if !ok || i <= lastLabel {
			continue
		}
		cond, known := l.constCond(ifs.Cond)
		if !known {
			continue
		}
		var body []ast.Stmt
		if cond {
			body = ifs.Body.List
		} else if b, ok := ifs.Else.(*ast.BlockStmt); ok {
			body = b.List
		}
		if len(body) > 0 && l.terminates(body[len(body)-1]) {
			for _, d := range list[i+1:] {
				l.dead[d] = true
			}
			return
		}
	}
}

func (l *lowerer) terminates(s ast.Stmt) bool {
	switch s := s.(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.ExprStmt:
		if c, ok := unparen(s.X).(*ast.CallExpr); ok {
			return l.isBuiltin(c.Fun, "panic")
		}
	}
	return false
}

// deadCases applies rule 3.
func (l *lowerer) deadCases(s *ast.SwitchStmt) {
	x := constant.MakeBool(true)
	if s.Tag != nil {
		tv := l.info.Types[s.Tag]
		if tv.Value == nil {
			return
		}
		x = tv.Value
	}
	var def, keep *ast.CaseClause
	for _, c := range s.Body.List {
		cc := c.(*ast.CaseClause)
		if cc.List == nil {
			def = cc
			continue
		}
		for _, e := range cc.List {
			v := l.info.Types[e].Value
			if v == nil {
				return
			}
			if constant.Compare(x, token.EQL, v) {
				keep = cc
				break
			}
		}
		if keep != nil {
			break
		}
	}
	if keep == nil {
		keep = def
	}
	if keep == nil || fallsThrough(keep) {
		return
	}
	for _, c := range s.Body.List {
		if c != keep {
			l.dead[c] = true
		}
	}
}

func fallsThrough(cc *ast.CaseClause) bool {
	for _, s := range cc.Body {
		if b, ok := s.(*ast.BranchStmt); ok && b.Tok == token.FALLTHROUGH {
			return true
		}
	}
	return false
}

// constCond tells whether an if condition folds to a constant, and which (rule 1).
func (l *lowerer) constCond(e ast.Expr) (value, known bool) {
	e = unparen(e)
	if tv := l.info.Types[e]; tv.Value != nil && tv.Value.Kind() == constant.Bool {
		return constant.BoolVal(tv.Value), true
	}
	b, ok := e.(*ast.BinaryExpr)
	if !ok || (b.Op != token.LAND && b.Op != token.LOR) {
		return false, false
	}
	x, xk := l.constCond(b.X)
	if !xk {
		return false, false
	}
	if (b.Op == token.LAND && !x) || (b.Op == token.LOR && x) {
		return x, true
	}
	return l.constCond(b.Y)
}
