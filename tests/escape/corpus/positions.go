package corpus

import "encoding/binary"

// Where the compiler reports a conversion to an interface: where its noder last set the
// position before it converts. An assignment goes through its right side, then its left,
// so the left side's last variable; a call's argument that is a name, also a name of
// another package, at the argument before it that is not one, or at the call's "(".

type rgb struct{ r, g, b byte }

type field struct{ Val interface{} }

var anything interface{}

func toElement(ts []interface{}, x byte, i int) { ts[i] = rgb{x, x, x} }

func toGlobal(x byte) { anything = rgb{x, x, x} }

func toField(fs []field, idx struct{ i int }, val []byte) { fs[idx.i].Val = val }

func toMap(m map[string]interface{}, k string, v []int) { m[k] = v }

func throughPointer(p *interface{}, x []int) { *p = x }

func order(b []byte) interface{} { return qualified(b, binary.LittleEndian, &b) }

func qualified(b []byte, o binary.ByteOrder, p *[]byte) interface{} { return o }

// append converts its values once it has gone through all its arguments, at the last
// variable among them, and is printed with its arguments as written.
func appendOne(b []interface{}, a []int) []interface{} { return append(b, a) }

func appendTwo(b []interface{}, a, c []int) []interface{} { return append(b, a, c) }

func appendConst(b []interface{}, a []int) []interface{} { return append(b, a, "x") }

func appendGlobal(exts []string, k string) { anything = append(exts, k) }

// A constant keeps the spelling of its source, parentheses included.
func spelled() []interface{} { return []interface{}{(string)(""), (bool)(false), (byte)(0), int8(1)} }
