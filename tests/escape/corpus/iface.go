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

// A package-level variable of interface type holds its value in a static box, whatever the
// value is: a constant is data, anything else is stored into the box by the initialiser.
// No conversion is left to report.
type level int

func (l level) String() string { return "" }

type stringer interface{ String() string }

type wide struct{ a, b, c, d int }

func (wide) String() string { return "" }

func mkLevel() level { return 1 }

func mkWide() wide { return wide{} }

const defaultLevel level = 0

var someLevel = level(3)

var (
	_          stringer    = defaultLevel
	boxedConst stringer    = level(7)
	boxedVar   stringer    = someLevel
	boxedCall  stringer    = mkLevel()
	boxedWide  stringer    = mkWide()
	boxedPtr   interface{} = &someLevel
)
