package corpus

type item struct{ p *int }

func outer() *int {
	var last *int
	for i := 0; i < 10; i++ {
		v := i
		last = &v
	}
	return last
}

func inner() int {
	t := 0
	for i := 0; i < 10; i++ {
		v := i
		p := &v
		t += *p
	}
	return t
}

func collect(n int) []*item {
	var out []*item
	for i := 0; i < n; i++ {
		out = append(out, &item{})
	}
	return out
}

func rangeSlice(xs []*int) *int {
	var best *int
	for _, x := range xs {
		best = x
	}
	return best
}

func rangeArray() int {
	a := [3]int{1, 2, 3}
	t := 0
	for _, v := range a {
		t += v
	}
	return t
}

func gotoLoop() *int {
	var p *int
	i := 0
top:
	x := i
	p = &x
	i++
	if i < 3 {
		goto top
	}
	return p
}
