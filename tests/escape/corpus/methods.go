package corpus

type inner struct{ p *int }

func (in *inner) get() *int  { return in.p }
func (in inner) copyP() *int { return in.p }
func (in *inner) set(q *int) { in.p = q }

type outerT struct {
	inner
	name string
}

type getter interface{ get() *int }

func promoted(o *outerT) *int { return o.get() }

func valueRecv() *int {
	var o outerT
	return o.copyP()
}

func ptrRecv() {
	var in inner
	x := 7
	in.set(&x)
	_ = in.get()
}

func viaInterface(g getter) *int { return g.get() }

func methodValue(in *inner) func() *int { return in.get }
