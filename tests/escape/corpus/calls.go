package corpus

type node struct {
	next *node
	val  *int
}

var global *node

// Recursion: one batch for the cycle even and odd.
func even(n *node) *node {
	if n == nil {
		return nil
	}
	return odd(n.next)
}

func odd(n *node) *node {
	if n == nil {
		return n
	}
	return even(n.next)
}

func keep(n *node) { global = n }

func first(a, b *int) *int { return a }

func content(pp **int) *int { return *pp }

func caller() int {
	x, y := 1, 2
	p := first(&x, &y)
	n := &node{}
	keep(n)
	m := &node{}
	even(m)
	z := 3
	q := &z
	r := content(&q)
	return *p + *r
}

func multi() (*int, *int) {
	a, b := new(int), new(int)
	return a, b
}

func useMulti() int {
	a, b := multi()
	return *a + *b
}

func sum(xs ...*int) int {
	t := 0
	for _, x := range xs {
		t += *x
	}
	return t
}

func callSum() int {
	a, b := 1, 2
	return sum(&a, &b)
}

// f(g()) and a, b = g() with a result of another type than its variable go through one
// temporary per result, declared where the call is: in a loop, at the loop's depth.
func pair(p *int) (*int, *int) { return p, p }

func takePair(a, b *int) {}

func tupleInLoop(xs []int) {
	for range xs {
		x := 0
		takePair(pair(&x))
	}
}

func textAndErr() (string, error) { return "", nil }

var sinkAny interface{}

func convertedResult() error {
	var result interface{}
	var err error
	result, err = textAndErr()
	sinkAny = result
	return err
}
