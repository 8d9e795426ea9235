package p

type S struct {
	i interface{}
	j interface{}
}
type I interface{ M() }
type V int

func (V) M() {}

var sink interface{}
var m map[interface{}]int

func g(a, b interface{}) {}

func r1(x int) interface{} { return x }
func r2(x int) interface{} { return x + 1 }
func q(x, y int, v V, ch chan interface{}) {
	sink = x + 1
	s := S{i: x, j: y + 1}
	sink = s
	t := S{x, y}
	sink = t
	m[x] = 1
	m[x+1] = 2
	g(x, y+1)
	ch <- x
	ch <- x + 1
	var i I = v
	sink = i
	var e interface{}
	e = x
	sink = e
	e, sink = x, y
	a := []interface{}{x, y + 1}
	sink = a
	sink = &x
	switch w := sink.(type) {
	case int:
		sink = &w
	}
	for k, vv := range []int{1, 2} {
		sink = &k
		sink = &vv
	}
}
