package main

// Escape summaries of imported functions, read from the export data Go installs.
//
// When gc compiles a package it records, for every parameter of every exported function
// and method, the leak summary its escape analysis found (a "tag", the parameter's Note in
// the compiler), and writes it into the package's export data. Importing code applies the
// tags at call sites instead of analysing the callee again. Go 1.19 installs that data for
// the standard library as $GOROOT/pkg/GOOS_GOARCH/PATH.a; the front end reads the tags
// from there, so the engine needs no hand-written table for the functions it finds.
//
// Where the tags are (the indexed format "i", cmd/compile/internal/typecheck/iexport.go):
//  1. The archive member __.PKGDEF holds a text header, a line "$$B", then the data:
//     'i', version, the sizes of the string and declaration sections, the string section
//     (each string: uvarint length, bytes), the declaration section, and the main index
//     (per package: path, name, height, then (name, offset) of its declarations; the
//     package itself is listed under the path "").
//  2. A function's declaration is: tag 'F' (or 'G' with type parameters first), position,
//     signature (parameters and results as (pos, name, type offset), then a variadic flag
//     when there are parameters), then the compiler's extension: link name, symbol index,
//     ABI, pragmas, and one tag string per receiver and parameter.
//  3. A defined type 'T' (or 'U' with type parameters) is: position, underlying type
//     offset, its methods' (pos, name, receiver, signature), the type's extension, then
//     one extension per method (a no-interface flag, then as for a function).
// A tag is "" for a parameter that leaks to the heap at level 0 (also for parameters
// without pointers, where the tag does not matter), or "esc:" followed by one byte per
// sink (heap, results 0..6): 0 = no flow, d+1 = the flow at d dereferences, trailing
// zeros cut (escape/leaks.go).
//
// Nothing is executed: the files are opened and decoded here. A package or a function
// that cannot be found or decoded is simply left out, and the engine treats calls to it
// conservatively.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"go/types"
	"io"
	"strings"
)

// exportPkg is the decoded part of one package's export data.
type exportPkg struct {
	strs  []byte
	decls []byte
	index map[string]uint64 // the package's own declarations: name -> offset in decls
}

var exportPkgs = map[string]*exportPkg{}

func loadExportPkg(path string) *exportPkg {
	if p, ok := exportPkgs[path]; ok {
		return p
	}
	var p *exportPkg
	if rc, err := lookupExportData(path); err == nil {
		data, err := io.ReadAll(rc)
		rc.Close()
		if err == nil {
			p, _ = decodeExportPkg(data)
		}
	}
	exportPkgs[path] = p
	return p
}

// readPkgDef reads an archive's signature and its first member, __.PKGDEF, which holds the
// export data, member header included (the importer parses it); the object code after it
// is not read.
func readPkgDef(r io.Reader) ([]byte, error) {
	var hdr [8 + 60]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	if string(hdr[:8]) != "!<arch>\n" || !strings.HasPrefix(string(hdr[8:24]), "__.PKGDEF") {
		return nil, errExportFormat
	}
	var size int
	if _, err := fmt.Sscan(string(hdr[8+48:8+58]), &size); err != nil || size <= 0 {
		return nil, errExportFormat
	}
	data := make([]byte, len(hdr)+size)
	copy(data, hdr[:])
	_, err := io.ReadFull(r, data[len(hdr):])
	return data, err
}

var errExportFormat = errors.New("unknown export data format")

func decodeExportPkg(archive []byte) (p *exportPkg, err error) {
	defer func() { // a truncated or foreign file ends in an index out of range
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("bad export data: %v", r)
		}
	}()
	i := bytes.Index(archive, []byte("\n$$B\n"))
	if !bytes.HasPrefix(archive, []byte("!<arch>\n")) || i < 0 || archive[i+5] != 'i' {
		return nil, errExportFormat
	}
	r := &exportReader{buf: archive[i+6:]}
	if v := r.uint(); v != 2 {
		return nil, errExportFormat
	}
	slen, dlen := r.uint(), r.uint()
	p = &exportPkg{index: map[string]uint64{}}
	p.strs = r.buf[r.off : r.off+int(slen)]
	p.decls = r.buf[r.off+int(slen) : r.off+int(slen+dlen)]
	r.off += int(slen + dlen)
	for npkg := r.uint(); npkg > 0; npkg-- {
		path := p.str(r.uint())
		r.uint() // name
		r.uint() // height
		for nsym := r.uint(); nsym > 0; nsym-- {
			name, off := p.str(r.uint()), r.uint()
			if path == "" {
				p.index[name] = off
			}
		}
	}
	return p, nil
}

func (p *exportPkg) str(off uint64) string {
	n, k := binary.Uvarint(p.strs[off:])
	start := int(off) + k
	return string(p.strs[start : start+int(n)])
}

type exportReader struct {
	buf []byte
	off int
}

func (r *exportReader) uint() uint64 {
	v, n := binary.Uvarint(r.buf[r.off:])
	if n <= 0 {
		panic("bad uvarint")
	}
	r.off += n
	return v
}

func (r *exportReader) int() int64 {
	v, n := binary.Varint(r.buf[r.off:])
	if n <= 0 {
		panic("bad varint")
	}
	r.off += n
	return v
}

func (r *exportReader) byte() byte {
	b := r.buf[r.off]
	r.off++
	return b
}

// pos skips a delta-encoded position: column delta (low bit: a line delta follows), line
// delta (low bit: a file name follows).
func (r *exportReader) pos() {
	if r.int()&1 != 0 {
		if r.int()&1 != 0 {
			r.uint()
		}
	}
}

func (r *exportReader) params() int {
	n := int(r.uint())
	for i := 0; i < n; i++ {
		r.pos()
		r.uint() // name
		r.uint() // type
	}
	return n
}

func (r *exportReader) signature() int {
	n := r.params()
	r.params()
	if n > 0 {
		r.uint() // variadic
	}
	return n
}

// funcExt reads a function's extension and returns its n tags (receiver first).
func (r *exportReader) funcExt(p *exportPkg, n int) []string {
	r.uint() // link name
	r.int()  // symbol index
	r.uint() // ABI
	r.uint() // pragmas
	tags := make([]string, n)
	for i := range tags {
		tags[i] = p.str(r.uint())
	}
	if r.uint() != 0 { // inlinable: cost, then "can delay results" and the end position
		r.uint()
		r.pos()
	}
	return tags
}

// tags returns the escape tags of the package's function or method (recv = the receiver's
// type name, "" for a function), receiver first; ok is false when it is not there.
func (p *exportPkg) tags(recv, name string) (tags []string, ok bool) {
	key := name
	if recv != "" {
		key = recv
	}
	off, found := p.index[key]
	if !found {
		return nil, false
	}
	defer func() {
		if rec := recover(); rec != nil {
			tags, ok = nil, false
		}
	}()
	r := &exportReader{buf: p.decls, off: int(off)}
	tag := r.byte()
	switch {
	case recv == "" && (tag == 'F' || tag == 'G'):
		r.pos()
		if tag == 'G' {
			for n := r.uint(); n > 0; n-- {
				r.uint()
			}
		}
		return r.funcExt(p, r.signature()), true
	case recv != "" && (tag == 'T' || tag == 'U'):
		r.pos()
		if tag == 'U' {
			for n := r.uint(); n > 0; n-- {
				r.uint()
			}
		}
		r.uint() // underlying type; the receiver's type is no interface
		nm := int(r.uint())
		names := make([]string, nm)
		nparams := make([]int, nm)
		for i := range names {
			r.pos()
			names[i] = p.str(r.uint())
			r.pos() // receiver
			r.uint()
			r.uint()
			nparams[i] = 1 + r.signature()
		}
		r.uint() // not-in-heap flag and the type's symbol indexes
		r.int()
		r.int()
		for i := range names {
			r.uint() // no-interface flag
			t := r.funcExt(p, nparams[i])
			if names[i] == name {
				return t, true
			}
		}
	}
	return nil, false
}

// externTags finds the tags of an imported function in its package's export data.
func externTags(fn *types.Func) ([]string, bool) {
	if fn.Pkg() == nil {
		return nil, false
	}
	p := loadExportPkg(fn.Pkg().Path())
	if p == nil {
		return nil, false
	}
	recv := ""
	if r := fn.Type().(*types.Signature).Recv(); r != nil {
		t := r.Type()
		if ptr, ok := t.(*types.Pointer); ok {
			t = ptr.Elem()
		}
		named, ok := t.(*types.Named)
		if !ok {
			return nil, false
		}
		recv = named.Obj().Name()
	}
	return p.tags(recv, fn.Name())
}

// leakText renders a tag as the IR's leak list: derefs to the heap, then to results 0..6,
// -1 for none, separated by ':'.
func leakText(tag string) string {
	var l [8]int
	for i := range l {
		l[i] = -1
	}
	if !strings.HasPrefix(tag, "esc:") {
		l[0] = 0
	} else {
		for i, b := range []byte(tag[4:]) {
			if i < len(l) {
				l[i] = int(b) - 1
			}
		}
	}
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ":")
}
