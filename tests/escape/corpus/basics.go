package p

import "fmt"

type T struct {
	a *int
	b int
}

func (t *T) M() *int { return t.a }
func (t T) V() *int  { return t.a }

var sink interface{}
var gp *int

func f1() *T {
	x := 1
	return &T{a: &x}
}

func f2(p *int) *int { return p }
func f3(p *int)      { gp = p }
func f4(p **int)     { gp = *p }
func f5(p *int) int  { return *p }

func f6(n int) {
	s := make([]int, n)
	_ = s
	m := make(map[int]int)
	m[1] = 2
	t := new(T)
	_ = t
	u := []*int{nil}
	_ = u
	v := map[string]int{"a": 1}
	_ = v
	y := 2
	sink = y
	sink = &T{}
	fmt.Println(y, "hi", t)
	var tt T
	tt.M()
	z := tt.V()
	_ = z
	func() { y++ }()
	g := func() int { return y }
	_ = g
	bs := []byte("abc")
	str := string(bs)
	str = str + "x"
	_ = str
	var i interface{} = tt
	_ = i
	sink = interface{}(y)
	for j := 0; j < 3; j++ {
		w := j
		gp = &w
	}
	fmt.Printf("%d\n", y+1)
}
