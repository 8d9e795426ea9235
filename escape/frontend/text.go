package main

// How the compiler spells expressions, types and positions in its -m messages. Its
// printer differs from go/printer: binary operators always have spaces, composite literals
// are abbreviated to T{...}, unnamed types in conversions are parenthesised, the empty
// interface is "interface {}", and a node's position is that of a token of the compiler's
// own syntax tree (see synPos).

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"strconv"
	"strings"
)

// synPos is the position the compiler's syntax tree gives an expression.
func synPos(e ast.Expr) token.Pos {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return synPos(e.X)
	case *ast.CallExpr:
		return e.Lparen
	case *ast.CompositeLit:
		return e.Lbrace
	case *ast.SelectorExpr:
		return e.Sel.Pos() - 1
	case *ast.IndexExpr:
		return e.Lbrack
	case *ast.SliceExpr:
		return e.Lbrack
	case *ast.TypeAssertExpr:
		return e.Lparen - 1
	case *ast.UnaryExpr:
		return e.OpPos
	case *ast.StarExpr:
		return e.Star
	case *ast.BinaryExpr:
		return e.OpPos
	case *ast.FuncLit:
		return e.Type.Func
	case *ast.KeyValueExpr:
		return e.Colon
	}
	return e.Pos()
}

type printer struct {
	pkg  *types.Package
	info *types.Info
	// Expressions the compiler has replaced by a temporary before it prints them (a callee or
	// receiver holding a call: lowerer.rewriteNonNameCall), with the temporary's name.
	temps map[ast.Expr]string
}

func (p *printer) typ(t types.Type) string {
	switch t := t.(type) {
	case *types.Named:
		o := t.Obj()
		if o.Pkg() == nil || o.Pkg() == p.pkg {
			return o.Name()
		}
		return o.Pkg().Name() + "." + o.Name()
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			return "unsafe.Pointer"
		}
		return t.Name()
	case *types.Pointer:
		return "*" + p.typ(t.Elem())
	case *types.Slice:
		return "[]" + p.typ(t.Elem())
	case *types.Array:
		return fmt.Sprintf("[%d]%s", t.Len(), p.typ(t.Elem()))
	case *types.Map:
		return "map[" + p.typ(t.Key()) + "]" + p.typ(t.Elem())
	case *types.Chan:
		switch t.Dir() {
		case types.SendOnly:
			return "chan<- " + p.typ(t.Elem())
		case types.RecvOnly:
			return "<-chan " + p.typ(t.Elem())
		}
		return "chan " + p.typ(t.Elem())
	case *types.Signature:
		return "func" + p.sig(t)
	case *types.Struct:
		if t.NumFields() == 0 {
			return "struct {}"
		}
		var fs []string
		for i := 0; i < t.NumFields(); i++ {
			f := t.Field(i)
			if f.Embedded() {
				fs = append(fs, p.typ(f.Type()))
			} else {
				fs = append(fs, f.Name()+" "+p.typ(f.Type()))
			}
		}
		return "struct { " + strings.Join(fs, "; ") + " }"
	case *types.Interface:
		if t == universeAny {
			return "any"
		}
		if t.NumMethods() == 0 && t.NumEmbeddeds() == 0 {
			return "interface {}"
		}
		var ms []string
		for i := 0; i < t.NumMethods(); i++ {
			m := t.Method(i)
			ms = append(ms, m.Name()+p.sig(m.Type().(*types.Signature)))
		}
		return "interface { " + strings.Join(ms, "; ") + " }"
	}
	return t.String()
}

func (p *printer) sig(s *types.Signature) string {
	var ps []string
	for i := 0; i < s.Params().Len(); i++ {
		t := s.Params().At(i).Type()
		if s.Variadic() && i == s.Params().Len()-1 {
			ps = append(ps, "..."+p.typ(t.(*types.Slice).Elem()))
		} else {
			ps = append(ps, p.typ(t))
		}
	}
	out := "(" + strings.Join(ps, ", ") + ")"
	switch s.Results().Len() {
	case 0:
	case 1:
		out += " " + p.typ(s.Results().At(0).Type())
	default:
		var rs []string
		for i := 0; i < s.Results().Len(); i++ {
			rs = append(rs, p.typ(s.Results().At(i).Type()))
		}
		out += " (" + strings.Join(rs, ", ") + ")"
	}
	return out
}

// convType is the type part of an explicit conversion: named types bare, others in parens.
func (p *printer) convType(t types.Type) string {
	switch t.(type) {
	case *types.Named, *types.Basic:
		return p.typ(t)
	}
	return "(" + p.typ(t) + ")"
}

func (p *printer) constant(e ast.Expr, v constant.Value) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	if sel, ok := e.(*ast.SelectorExpr); ok {
		return p.expr(sel.X) + "." + sel.Sel.Name
	}
	if lit, ok := e.(*ast.BasicLit); ok { // the source's spelling: 0.0, `raw`, 'c'
		return lit.Value
	}
	switch v.Kind() {
	case constant.String:
		return strconv.Quote(constant.StringVal(v))
	case constant.Int:
		return v.ExactString()
	}
	return v.String()
}

func (p *printer) exprs(es []ast.Expr) string {
	var s []string
	for _, e := range es {
		s = append(s, p.expr(e))
	}
	return strings.Join(s, ", ")
}

// expr prints e as the compiler's -m messages do.
func (p *printer) expr(e ast.Expr) string {
	if t, ok := p.temps[e]; ok {
		return t
	}
	if tv, ok := p.info.Types[e]; ok && tv.Value != nil {
		switch e.(type) {
		case *ast.BasicLit, *ast.Ident, *ast.SelectorExpr:
			return p.constant(e, tv.Value)
		}
		// a constant expression keeps its spelling (1 << 20), as the compiler's Orig
	}
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.BasicLit:
		return e.Value
	case *ast.ParenExpr:
		return p.expr(e.X)
	case *ast.SelectorExpr:
		if t, ok := p.temps[unparen(e.X)]; ok { // the temporary holds the embedded fields too
			return t + "." + e.Sel.Name
		}
		return p.operand(e.X, precPrimary) + p.embedded(e) + "." + e.Sel.Name
	case *ast.IndexExpr:
		return p.operand(e.X, precPrimary) + "[" + p.expr(e.Index) + "]"
	case *ast.SliceExpr:
		s := p.operand(e.X, precPrimary) + "["
		if e.Low != nil {
			s += p.expr(e.Low)
		}
		s += ":"
		if e.High != nil {
			s += p.expr(e.High)
		}
		if e.Slice3 {
			s += ":" + p.expr(e.Max)
		}
		return s + "]"
	case *ast.StarExpr:
		return "*" + p.operand(e.X, precPrimary)
	case *ast.UnaryExpr:
		return e.Op.String() + p.operand(e.X, precPrimary)
	case *ast.BinaryExpr:
		prec := precOf(e)
		return p.operand(e.X, prec) + " " + e.Op.String() + " " + p.operand(e.Y, prec+1)
	case *ast.TypeAssertExpr:
		if e.Type == nil {
			return p.operand(e.X, precPrimary) + ".(type)"
		}
		return p.operand(e.X, precPrimary) + ".(" + p.typ(p.info.TypeOf(e.Type)) + ")"
	case *ast.FuncLit:
		return "func literal"
	case *ast.CompositeLit:
		return p.complit(e)
	case *ast.KeyValueExpr:
		return p.expr(e.Key) + ":" + p.expr(e.Value)
	case *ast.CallExpr:
		return p.call(e)
	}
	return "?"
}

// The compiler drops the source's parentheses and puts back those its precedence needs:
// an operand printed at a precedence higher than its own is parenthesised, so *(*p),
// (*s)[i], -(*x) and a - (b - c), but *t.f and a - b - c.
const (
	precUnary   = 7
	precPrimary = 8
)

func precOf(e ast.Expr) int {
	switch e := unparen(e).(type) {
	case *ast.StarExpr, *ast.UnaryExpr:
		return precUnary
	case *ast.BinaryExpr:
		return e.Op.Precedence() + 1 // go/token counts || as 1, the compiler as 2
	}
	return precPrimary
}

func (p *printer) operand(e ast.Expr, prec int) string {
	s := p.expr(e)
	if precOf(e) < prec {
		return "(" + s + ")"
	}
	return s
}

func (p *printer) complit(e *ast.CompositeLit) string {
	t := p.info.TypeOf(e)
	if ptr, ok := t.Underlying().(*types.Pointer); ok && e.Type == nil { // elided &T
		t = ptr.Elem()
	}
	s := p.typ(t)
	if len(e.Elts) == 0 {
		return s + "{}"
	}
	return s + "{...}"
}

func (p *printer) call(e *ast.CallExpr) string {
	if tv := p.info.Types[e.Fun]; tv.IsType() {
		t := p.convType(tv.Type)
		// A constant keeps its source's spelling (the compiler's Orig): (bool)(false).
		if _, paren := e.Fun.(*ast.ParenExpr); paren && !strings.HasPrefix(t, "(") &&
			p.info.Types[e].Value != nil {
			t = "(" + t + ")"
		}
		return t + "(" + p.exprs(e.Args) + ")"
	}
	if id, ok := unparen(e.Fun).(*ast.Ident); ok {
		if _, ok := p.info.Uses[id].(*types.Builtin); ok && (id.Name == "make" || id.Name == "new") {
			args := []string{p.typ(p.info.TypeOf(e.Args[0]))}
			for _, a := range e.Args[1:] {
				args = append(args, p.expr(a))
			}
			return id.Name + "(" + strings.Join(args, ", ") + ")"
		}
	}
	fun, args := p.expr(e.Fun), p.callArgs(e)
	if sel, ok := unparen(e.Fun).(*ast.SelectorExpr); ok {
		// A call of a concrete method is printed as the method expression applied to the
		// receiver, (*T).M(x, args), as the compiler has rewritten it by then.
		if s := p.info.Selections[sel]; s != nil && s.Kind() == types.MethodVal && !types.IsInterface(s.Recv()) {
			m := s.Obj().(*types.Func)
			// The & or * that adapts the receiver to the method is implicit in the
			// compiler's tree, and it prints implicit nodes as their operand.
			recv := p.operand(sel.X, precPrimary) + p.embedded(sel)
			if t, ok := p.temps[unparen(sel.X)]; ok { // the receiver as the method takes it
				recv = t
			}
			fun = p.convType(m.Type().(*types.Signature).Recv().Type()) + "." + m.Name()
			args = append([]string{recv}, args...)
		}
	}
	s := fun + "(" + strings.Join(args, ", ")
	if e.Ellipsis.IsValid() {
		s += "..."
	}
	return s + ")"
}

// embedded spells the embedded fields a selector goes through (x.f promoted from x.E is
// x.E.f), as the compiler's tree has them.
func (p *printer) embedded(e *ast.SelectorExpr) string {
	sel := p.info.Selections[e]
	if sel == nil || len(sel.Index()) < 2 {
		return ""
	}
	out := ""
	t := sel.Recv()
	for _, i := range sel.Index()[:len(sel.Index())-1] {
		if ptr, ok := t.Underlying().(*types.Pointer); ok {
			t = ptr.Elem()
		}
		f := t.Underlying().(*types.Struct).Field(i)
		out += "." + f.Name()
		t = f.Type()
	}
	return out
}

// embeddedType is the type of the receiver a selector reaches through its embedded fields.
func (p *printer) embeddedType(e *ast.SelectorExpr) types.Type {
	sel := p.info.Selections[e]
	t := sel.Recv()
	for _, i := range sel.Index()[:len(sel.Index())-1] {
		if ptr, ok := t.Underlying().(*types.Pointer); ok {
			t = ptr.Elem()
		}
		t = t.Underlying().(*types.Struct).Field(i).Type()
	}
	return t
}

// callArgs prints a call's arguments; the extra arguments of a variadic call are the
// compiler's "... argument" slice, passed with ... (but a builtin's: append(s, a, b)).
func (p *printer) callArgs(e *ast.CallExpr) []string {
	var out []string
	sig, _ := p.info.TypeOf(e.Fun).Underlying().(*types.Signature)
	if id, ok := unparen(e.Fun).(*ast.Ident); ok {
		if _, builtin := p.info.Uses[id].(*types.Builtin); builtin {
			sig = nil
		}
	}
	for i, a := range e.Args {
		if sig != nil && sig.Variadic() && !e.Ellipsis.IsValid() && i == sig.Params().Len()-1 {
			return append(out, "... argument...")
		}
		out = append(out, p.expr(a))
	}
	return out
}

var universeAny = types.Universe.Lookup("any").Type()
