package corpus

type pair struct {
	a, b *int
}

var sinkSlice []*int
var sinkMap map[string]*int

func sliceElems() {
	x := 1
	s := []*int{&x}
	sinkSlice = s
}

func sliceLocal() int {
	x := 1
	s := []*int{&x}
	return *s[0]
}

func mapValue() {
	y := 2
	m := map[string]*int{}
	m["y"] = &y
	sinkMap = m
}

func mapLocal() int {
	m := make(map[string]int)
	m["a"] = 1
	return m["a"]
}

func structField(p *pair) *int { return p.a }

func structValue(p pair) *int { return p.b }

func bigAlloc() int {
	b := make([]byte, 1<<20)
	return len(b)
}

func nonConst(n int) int {
	b := make([]byte, n)
	return len(b)
}

func smallConst() int {
	b := make([]byte, 16)
	return len(b)
}

func arrays() *int {
	var a [4]*int
	x := 5
	a[1] = &x
	return a[1]
}

func strs(s string, b []byte) string {
	t := s + "!"
	u := string(b)
	return t + u
}

func copyAppend(dst, src []*int) []*int {
	copy(dst, src)
	return append(dst, src...)
}
