package main

// "index bounds check elided", one of the -m messages that are not the escape pass's own
// (devirt.go writes the others).
//
// gc's walk (walk/expr.go, walkIndex) drops the bounds check of an index into an array, a
// pointer to an array or a constant string when the index's type and shape alone keep it
// in range, and with -m says so at the index's "[". A constant index is checked at compile
// time and not reported. The rule (bounded) looks only at the index expression:
//   - an unsigned index of b bits is in range of an array of at least 2^b elements;
//   - x & c and x &^ c with a small constant c are below c+1 (for &^ the complement of c,
//     cut to the type's width when unsigned);
//   - unsigned x % c is below c; unsigned x / c has fewer bits, one per halving of c;
//     unsigned x >> c has c bits fewer (none left when c exceeds the width).
// An index that is itself an appended value (append(s, a[i&7])) is not reported, as the
// compiler's output shows (its order pass copies append's values into temporaries first).
// The front end sees the same expressions (go/types keeps the index's own type), so it
// decides here and hands the messages to the engine as msg records; the engine prints
// them with its own.

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
)

type message struct {
	pos token.Pos
	msg string
}

// boundsChecks scans the bodies the lowerer analyses for the indexes gc proves in range.
func (l *lowerer) boundsChecks(roots []ast.Node) {
	for _, root := range roots {
		quiet := map[ast.Expr]bool{}
		ast.Inspect(root, func(n ast.Node) bool {
			if l.dead[n] { // gc's dead-code pass dropped it before walk
				return false
			}
			switch e := n.(type) {
			case *ast.CallExpr:
				if l.isBuiltin(e.Fun, "append") {
					for _, a := range e.Args[1:] {
						quiet[unparen(a)] = true
					}
				}
			case *ast.IndexExpr:
				if !quiet[e] && l.indexBounded(e) {
					l.messages = append(l.messages, message{e.Lbrack, "index bounds check elided"})
				}
			}
			return true
		})
	}
}

func (l *lowerer) indexBounded(e *ast.IndexExpr) bool {
	if tv := l.info.Types[e.Index]; tv.Value != nil {
		return false
	}
	var max int64
	tv := l.info.Types[e.X]
	switch t := tv.Type.Underlying().(type) {
	case *types.Array:
		max = t.Len()
	case *types.Pointer:
		a, ok := t.Elem().Underlying().(*types.Array)
		if !ok {
			return false
		}
		max = a.Len()
	case *types.Basic:
		if tv.Value == nil || tv.Value.Kind() != constant.String {
			return false
		}
		max = int64(len(constant.StringVal(tv.Value)))
	default:
		return false
	}
	return l.bounded(e.Index, max)
}

// smallConst returns the value of e when it is an integer constant that fits an int64.
func (l *lowerer) smallConst(e ast.Expr) (int64, bool) {
	tv := l.info.Types[e]
	if tv.Value == nil || tv.Value.Kind() != constant.Int {
		return 0, false
	}
	return constant.Int64Val(tv.Value)
}

func (l *lowerer) bounded(e ast.Expr, max int64) bool {
	e = unparen(e)
	b, ok := l.typeOf(e).Underlying().(*types.Basic)
	if !ok || b.Info()&types.IsInteger == 0 {
		return false
	}
	signed := b.Info()&types.IsUnsigned == 0
	bits := 8 * l.sizes.Sizeof(b)
	if v, ok := l.smallConst(e); ok {
		return 0 <= v && v < max
	}
	if x, ok := e.(*ast.BinaryExpr); ok {
		cy, okY := l.smallConst(x.Y)
		switch x.Op {
		case token.AND, token.AND_NOT:
			v := int64(-1)
			if cx, okX := l.smallConst(x.X); okX {
				v = cx
			} else if okY {
				v = cy
				if x.Op == token.AND_NOT {
					v = ^v
					if !signed {
						v &= 1<<uint(bits) - 1
					}
				}
			}
			if 0 <= v && v < max {
				return true
			}
		case token.REM:
			if !signed && okY && 0 <= cy && cy <= max {
				return true
			}
		case token.QUO:
			for !signed && okY && bits > 0 && cy >= 2 {
				bits--
				cy >>= 1
			}
		case token.SHR:
			if !signed && okY {
				if cy > bits {
					return true
				}
				bits -= cy
			}
		}
	}
	return !signed && bits <= 62 && 1<<uint(bits) <= max
}

func (l *lowerer) isBuiltin(fun ast.Expr, name string) bool {
	id, ok := unparen(fun).(*ast.Ident)
	if !ok {
		return false
	}
	b, ok := l.info.Uses[id].(*types.Builtin)
	return ok && b.Name() == name
}
