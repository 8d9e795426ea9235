package main

// The IR this front end writes; escape/ir.h is the reference for its grammar.

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/token"
	"io"
	"sort"
	"strings"
)

// node is one IR node: an operation, a position, attributes, the text the compiler would
// print for it, and operands.
type node struct {
	op    string
	pos   token.Pos
	attrs []string
	text  string
	kids  []*node
	// The expression text was printed from, and that text: a temporary the compiler
	// introduced later (lowerer.rewriteNonNameCall) is in the text it prints, which is made
	// again from src when the node is written, unless something rewrote text meanwhile.
	src     ast.Expr
	srcText string
}

func (n *node) attr(format string, args ...any) *node {
	n.attrs = append(n.attrs, fmt.Sprintf(format, args...))
	return n
}

func unparen(e ast.Expr) ast.Expr {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

type writer struct {
	w     *bufio.Writer
	fset  *token.FileSet
	files map[string]int
}

func newWriter(out io.Writer, fset *token.FileSet, files []*ast.File) *writer {
	w := &writer{w: bufio.NewWriter(out), fset: fset, files: map[string]int{}}
	fmt.Fprintln(w.w, "gortir\t1")
	for i, f := range files {
		name := fset.Position(f.Pos()).Filename
		w.files[name] = i
		fmt.Fprintf(w.w, "file\t%d\t%s\n", i, name)
	}
	return w
}

func (w *writer) flush() { w.w.Flush() }

func (w *writer) pos(p token.Pos) string {
	if !p.IsValid() {
		return "0:0:0"
	}
	ps := w.fset.Position(p)
	return fmt.Sprintf("%d:%d:%d", w.files[ps.Filename], ps.Line, ps.Column)
}

// textEscaper escapes the IR's text fields (built once: a Replacer is costly to build).
var textEscaper = strings.NewReplacer("\\", "\\\\", "\t", "\\t", "\n", "\\n")

func escapeText(s string) string { return textEscaper.Replace(s) }

func (w *writer) write(l *lowerer) {
	for _, note := range l.notes {
		fmt.Fprintf(w.w, "note\t%s\t%s\n", w.pos(note.pos), escapeText(note.msg))
	}
	w.externs(l)
	for _, m := range l.messages {
		fmt.Fprintf(w.w, "msg\t%s\t%s\n", w.pos(m.pos), escapeText(m.msg))
	}
	for _, fn := range l.funcs {
		flags := strings.Join(fn.flags, ",")
		if flags == "" {
			flags = "-"
		}
		fmt.Fprintf(w.w, "func\t%d\t%d\t%s\t%s\t%s\n", fn.id, fn.parent, w.pos(fn.pos), flags, fn.name)
		for _, v := range fn.vars {
			vflags := strings.Join(v.flags, ",")
			if vflags == "" {
				vflags = "-"
			}
			fmt.Fprintf(w.w, "var\t%d\t%s\t%s\t%s\t%d\t%s\n", v.id, v.class, w.pos(v.pos), vflags, v.size, v.name)
		}
		for _, s := range fn.body {
			w.node(s, 0, &l.p)
		}
		fmt.Fprintln(w.w, "end")
	}
}

func (w *writer) node(n *node, depth int, p *printer) {
	if len(p.temps) > 0 && n.src != nil && n.text == n.srcText {
		n.text = p.expr(n.src)
	}
	attrs := strings.Join(n.attrs, ",")
	if attrs == "" {
		attrs = "-"
	}
	fmt.Fprintf(w.w, "%d\t%s\t%s\t%s\t%s\n", depth, n.op, w.pos(n.pos), attrs, escapeText(n.text))
	for _, k := range n.kids {
		w.node(k, depth+1, p)
	}
}

// externs writes the escape tags of the imported functions the package calls, as found in
// their export data (one leak list per receiver and parameter).
func (w *writer) externs(l *lowerer) {
	names := make([]string, 0, len(l.externs))
	for name := range l.externs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		tags, ok := externTags(l.externs[name])
		if !ok {
			continue
		}
		leaks := make([]string, len(tags))
		for i, t := range tags {
			leaks[i] = leakText(t)
		}
		if len(leaks) == 0 {
			leaks = []string{"-"}
		}
		fmt.Fprintf(w.w, "extern\t%s\t%s\n", escapeText(name), strings.Join(leaks, ","))
	}
}
