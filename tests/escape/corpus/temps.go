package corpus

// Callees and receivers that hold a call are evaluated into a temporary first (the
// compiler's RewriteNonNameCall), and -m names it: .autotmp_N, N the number of variables
// the function declared before it. A := declares its variables after its right side; a
// range declares its key and value before it evaluates X.

type named interface{ String() string }

type box struct{ s string }

func (b box) String() string   { return b.s }
func (b *box) Ptr() *box       { return b }
func (b box) Named() named     { return b }
func (b *box) Next() *box      { return &box{b.s + "!"} }
func mk(s string) *box         { return &box{s} }
func pick(n int) func() string { return func() string { return "x" } }
func boxes() []box             { return []box{{"a"}} }

func ifaceOfCall(b box) string {
	return "iface: " + b.Named().String()
}

func concreteOfCall(s string) string {
	return "concrete: " + mk(s).Next().String()
}

func afterDefine(s string) string {
	x := 1
	y := "define: " + mk(s).Named().String()
	return y + string(rune(x))
}

func funcOfCall(n int) string {
	return "func: " + pick(n)()
}

func inRange(s string) int {
	n := 0
	for i, b := range mk(s).Ptr().Named().String() {
		n += i + int(b)
	}
	return n
}

func nested(s string) string {
	return "nested: " + mk(mk(s).Named().String()).Named().String()
}

func inLoop(ss []string) string {
	out := ""
	for _, s := range ss {
		out += "loop: " + mk(s).Named().String()
	}
	return out
}
