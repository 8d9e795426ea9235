// alias.go — oracle: Go 1.19's aliasing and copy-overlap behaviour, scenario by scenario.
//
// Each scenario prints lines "name len cap [elements]" (show) or "name value" (val).
// tests/slices/alias_test.cc replays the same scenarios with gort::slice and must print
// exactly the same text. Scenarios cover the surprising parts: appends that write into a
// shared array, appends that do not (full slice expressions, growth), reslicing up to cap
// (zero values), copy with overlapping ranges in both directions, append(s, s...).
package main

import "fmt"

func show(name string, s []int) { fmt.Println(name, len(s), cap(s), s) }
func val(name string, v int)    { fmt.Println(name, v) }

func main() {
	// 1. Two appends to the same slice with spare capacity write the same element.
	s := make([]int, 3, 10)
	t := append(s, 4)
	u := append(s, 5)
	show("1.t", t)
	show("1.u", u)
	show("1.s", s)
	show("1.s-to-cap", s[:cap(s)])

	// 2. An append that grows copies: the new slice no longer aliases the old one.
	a := []int{1, 2, 3}
	b := append(a, 4)
	b[0] = 99
	show("2.a", a)
	show("2.b", b)

	// 3. Appending through a sub-slice overwrites the parent's next element.
	p := []int{0, 1, 2, 3, 4}
	q := p[1:3]
	q = append(q, 42)
	show("3.p", p)
	show("3.q", q)

	// 4. A full slice expression caps the sub-slice: the append copies instead.
	p = []int{0, 1, 2, 3, 4}
	q = p[1:3:3]
	q = append(q, 42)
	q[0] = -1
	show("4.p", p)
	show("4.q", q)

	// 5. Reslicing up to cap reveals zero values and earlier writes.
	r := make([]int, 2, 5)
	r[1] = 7
	r2 := r[:5]
	show("5.r2", r2)
	r3 := append(r[:1], 8, 9)
	show("5.r", r)
	show("5.r3", r3)
	show("5.r-to-cap", r[:cap(r)])

	// 6. copy with overlap, forward and backward (memmove semantics), returns the count.
	c := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	val("6.n1", copy(c[2:], c))
	show("6.c1", c)
	c = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	val("6.n2", copy(c, c[3:]))
	show("6.c2", c)
	c = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	val("6.n3", copy(c[1:4], c[5:]))
	show("6.c3", c)
	val("6.n4", copy(c[:0], c))

	// 7. append(s, s...) doubles the contents; with spare capacity it writes in place.
	d := make([]int, 3, 8)
	d[0], d[1], d[2] = 1, 2, 3
	e := append(d, d...)
	show("7.e", e)
	show("7.d-to-cap", d[:cap(d)])
	f := append(d[:1], d...)
	show("7.f", f)
	show("7.d", d)

	// 8. Growth from a sub-slice: the new array holds only len elements, the rest zero.
	g := []int{1, 2, 3, 4, 5, 6}
	h := append(g[:2:2], 10)
	show("8.h", h)
	show("8.h-to-cap", h[:cap(h)])
	show("8.g", g)

	// 9. A slice and its alias diverge after one of them grows.
	x := make([]int, 0, 2)
	x = append(x, 1, 2)
	y := x
	x = append(x, 3)
	x[0] = 100
	y[1] = 200
	show("9.x", x)
	show("9.y", y)

	// 10. A nil slice: zero length and capacity, appending allocates.
	var n []int
	val("10.nil", b2i(n == nil))
	n = append(n, 1)
	show("10.n", n)
	val("10.empty-nil", b2i(n[:0] == nil))
	m := make([]int, 0)
	val("10.make0-nil", b2i(m == nil))

	// 11. t := append(w, v) on a full slice: t and u get new arrays of their own, w is
	// unchanged (also past its length), and a later w = append(w, v) grows separately.
	w := []int{1, 2}
	w = append(w, 3)
	w = append(w, 4)
	t11 := append(w, 5)
	t11[0] = -1
	u11 := append(w, 6)
	u11[1] = -2
	show("11.w", w)
	show("11.w-to-cap", w[:cap(w)])
	show("11.t", t11)
	show("11.u", u11)
	w = append(w, 7)
	w[2] = -3
	show("11.w2", w)
	show("11.t2", t11)
	show("11.u2", u11)

	// 12. Two growing appends to one full slice in a single expression.
	z := []int{1, 2, 3}
	pair("12", append(z, 8), append(z, 9))
	show("12.z", z)

	// 13. A copy taken before the append keeps the old array: w2 := w; w = append(w, v).
	v := make([]int, 0, 1)
	v = append(v, 1)
	v2 := v
	v = append(v, 2)
	v[0] = 10
	show("13.v", v)
	show("13.v2", v2)
	show("13.v2-to-cap", v2[:cap(v2)])
}

func pair(name string, a, b []int) {
	a[0] = 100
	show(name+".a", a)
	show(name+".b", b)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
