package wire

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// Reader reads one record with the streaming tokenizer of
// github.com/go-json-experiment/json (the upstream of Go's
// encoding/json/v2): the decoders pick the fields they model member by
// member and skip the rest (the configuration snapshots, most of an agent
// event's bytes) without decoding it, in one pass that also validates the
// JSON. It reads as encoding/json's Unmarshal into the decoders' wire
// structs did:
//
//   - names match exactly, else case-insensitively (strings.EqualFold);
//   - of a repeated name, each value is read in turn: the last string wins,
//     an object is read into the one before (merged), an array's elements
//     into the elements before;
//   - null leaves a string as it was and sets an object, an array or a raw
//     value to nil or "null";
//   - invalid UTF-8 in a string reads as U+FFFD, byte by byte;
//   - a value of the wrong JSON type is an error naming its field, as the
//     record spells it (CurrentAgentSnapshot.Contacts[1].Queue).
//
// Get one with Read; it is not safe for concurrent use.
type Reader struct {
	dec     *jsontext.Decoder
	in      bytes.Buffer // the record: the tokenizer reads it without a copy
	plain   bool         // the record is valid UTF-8 and holds no backslash (Clean checked)
	scratch []byte       // names unquoted when they hold escapes
	// strs are the strings of shared fields read so far, by their text:
	// records repeat most of theirs (ARNs, names, the agent's
	// configuration in both snapshots), which are then not allocated
	// again.
	strs map[string]string
}

// maxStrs bounds Reader.strs (it is emptied when full), maxStrLen the
// strings it keeps.
const (
	maxStrs   = 1024
	maxStrLen = 256
)

var readers = sync.Pool{New: func() any {
	r := new(Reader)
	r.dec = jsontext.NewDecoder(&r.in)
	return r
}}

// Read reads the record doc, one JSON value, with top, which reads the
// value (with Object, as a record is an object), and then checks that
// nothing follows it. Every failure is a *connectreporting.DecodeError.
func Read(doc Doc, top func(r *Reader) error) error {
	r := readers.Get().(*Reader)
	defer readers.Put(r)
	r.in = *bytes.NewBuffer(doc.Data)
	r.plain = doc.plain
	r.dec.Reset(&r.in, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	defer func() { // let go of data
		r.in = bytes.Buffer{}
		r.dec.Reset(&r.in)
	}()
	if err := top(r); err != nil {
		return r.fail(err)
	}
	if _, err := r.dec.ReadToken(); err != io.EOF {
		if err == nil {
			err = fmt.Errorf("data after the record at byte %d", r.dec.InputOffset())
		}
		return r.fail(err)
	}
	return nil
}

// fail turns an error of the tokenizer into a DecodeError.
func (r *Reader) fail(err error) error {
	var de *connectreporting.DecodeError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &de):
		return de
	case errors.As(err, &syn):
		return Malformed("", fmt.Sprintf("invalid JSON at byte %d", syn.ByteOffset), err)
	}
	return Malformed("", "invalid JSON", err)
}

// wrongType is the error of the next value, of kind k where want was
// expected: it names the value's field (a.b[1].c, as the record spells
// the names), or says the record is no object.
func (r *Reader) wrongType(k jsontext.Kind, want string) error {
	if err := r.dec.SkipValue(); err != nil {
		return err // invalid JSON: that is the error
	}
	var b strings.Builder
	level := 1
	for tok := range r.dec.StackPointer().Tokens() {
		if k, _ := r.dec.StackIndex(level); k == '[' {
			b.WriteString("[" + tok + "]")
		} else {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(tok)
		}
		level++
	}
	if r.dec.StackDepth() == 0 {
		return Malformed("", "record is a JSON "+kindName(k)+", not an object", nil)
	}
	return Malformed(b.String(), "wrong type: JSON "+kindName(k)+" where "+want+" was expected", nil)
}

// kindName is the name of the JSON kind k in an error.
func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "bool"
	case '[':
		return "array"
	case '{':
		return "object"
	}
	return "value"
}

// Object reads an object member by member: member gets each name (valid
// until the next read) and must read its value (String, Value, Skip, or
// Object or Array for a nested one, through Struct and Slice). null is no
// object: Object returns false. Any other value is an error naming the
// field.
func (r *Reader) Object(member func(name []byte) error) (bool, error) {
	if ok, err := r.open('{', "an object"); !ok {
		return false, err
	}
	for r.dec.PeekKind() != '}' {
		v, err := r.dec.ReadValue()
		if err != nil {
			return false, err
		}
		if err := member(r.unquoted(v)); err != nil {
			return false, err
		}
	}
	_, err := r.dec.ReadToken()
	return true, err
}

// open reads the start of an object or array (delim '{' or '[', what
// naming it for the error). ok is false when the value is null, read and
// no error, or when err says why it could not start.
func (r *Reader) open(delim jsontext.Kind, what string) (ok bool, err error) {
	switch k := r.dec.PeekKind(); k {
	case 'n':
		return false, r.dec.SkipValue()
	case delim:
	default:
		return false, r.wrongType(k, what)
	}
	_, err = r.dec.ReadToken()
	return err == nil, err
}

// Array reads an array element by element: elem gets each index and must
// read the element. null is no array: Array returns false.
func (r *Reader) Array(elem func(i int) error) (bool, error) {
	if ok, err := r.open('[', "an array"); !ok {
		return false, err
	}
	for i := 0; r.dec.PeekKind() != ']'; i++ {
		if err := elem(i); err != nil {
			return false, err
		}
	}
	_, err := r.dec.ReadToken()
	return true, err
}

// String reads a string into *dst; null leaves *dst as it is.
func (r *Reader) String(dst *string) error { return r.text(dst, false) }

// Shared is String for a field whose values repeat from record to record
// (ARNs, names, types): a value read before is not allocated again.
func (r *Reader) Shared(dst *string) error { return r.text(dst, true) }

func (r *Reader) text(dst *string, shared bool) error {
	switch k := r.dec.PeekKind(); k {
	case 'n':
		return r.dec.SkipValue()
	case '"':
	default:
		return r.wrongType(k, "a string")
	}
	v, err := r.dec.ReadValue()
	if err != nil {
		return err
	}
	if shared {
		*dst = r.str(r.unquoted(v))
	} else {
		*dst = string(r.unquoted(v))
	}
	return nil
}

// str returns b as a string, the one read before when there was one.
func (r *Reader) str(b []byte) string {
	if len(b) > maxStrLen {
		return string(b)
	}
	if s, ok := r.strs[string(b)]; ok {
		return s
	}
	if r.strs == nil || len(r.strs) >= maxStrs {
		r.strs = make(map[string]string, maxStrs)
	}
	s := string(b)
	r.strs[s] = s
	return s
}

// Value reads any value and keeps its JSON text in *dst (a copy): "null"
// for null, as encoding/json sets a json.RawMessage.
func (r *Reader) Value(dst *jsontext.Value) error {
	v, err := r.dec.ReadValue()
	if err != nil {
		return err
	}
	*dst = append((*dst)[:0], v...)
	return nil
}

// Skip reads a value and drops it. It reads it with ReadValue, whose one
// validating pass over an object or array is much faster than SkipValue's
// token by token; the input is in memory already, nothing is copied.
func (r *Reader) Skip() error {
	_, err := r.dec.ReadValue()
	return err
}

// unquoted returns the text of the JSON string v, valid until the next
// read: v's own bytes when it has no escapes and is valid UTF-8, else
// unquoted into a scratch buffer (invalid UTF-8 becomes U+FFFD byte by
// byte, as encoding/json reads it).
func (r *Reader) unquoted(v jsontext.Value) []byte {
	s := v[1 : len(v)-1]
	if r.plain || bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
		return s
	}
	// The tokenizer validated v: the only error left is invalid UTF-8,
	// which is replaced.
	r.scratch, _ = jsontext.AppendUnquote(r.scratch[:0], v)
	return r.scratch
}

// Struct reads an object into **p as encoding/json reads one into a
// pointer: into the struct *p points to (so a repeated name merges), or a
// new one when *p is nil; null sets *p to nil. member reads a member of
// the struct.
func Struct[T any](r *Reader, p **T, member func(t *T, r *Reader, name []byte) error) error {
	if *p == nil && r.dec.PeekKind() == '{' {
		*p = new(T)
	}
	t := *p
	ok, err := r.Object(func(name []byte) error { return member(t, r, name) })
	if err == nil && !ok {
		*p = nil
	}
	return err
}

// Slice reads an array into *p as encoding/json reads one into a slice of
// pointers: element i into (*p)[i] when the slice has room for it, so a
// repeated name reads into the elements before; null sets *p to nil, and
// an empty array to an empty slice. elem reads an element with Struct.
func Slice[T any](r *Reader, p *[]*T, elem func(e **T) error) error {
	s := (*p)[:0]
	ok, err := r.Array(func(int) error {
		if len(s) < cap(s) {
			s = s[:len(s)+1]
		} else {
			s = append(s, nil)
		}
		return elem(&s[len(s)-1])
	})
	switch {
	case err != nil:
	case !ok:
		*p = nil
	case s == nil:
		*p = []*T{}
	default:
		*p = s
	}
	return err
}

// Names are the member names of an object that a decoder reads.
type Names struct {
	exact  map[string]string // each name
	folded map[string]string // each name in ASCII lower case → the name
	all    []string
}

// NewNames returns the Names ns (ASCII, distinct in any case).
func NewNames(ns ...string) *Names {
	n := &Names{exact: make(map[string]string, len(ns)), folded: make(map[string]string, len(ns)), all: ns}
	for _, name := range ns {
		n.exact[name] = name
		n.folded[strings.ToLower(name)] = name
	}
	return n
}

// Match returns the name of ns that name is, exactly or else by
// strings.EqualFold, as encoding/json matches struct fields; "" for none.
// An ASCII name is looked up in lower case; any other goes through
// strings.EqualFold (K, the Kelvin sign, folds to k).
func (ns *Names) Match(name []byte) string {
	if n, ok := ns.exact[string(name)]; ok {
		return n
	}
	var buf [64]byte
	if lower, ok := asciiLower(buf[:0], name); ok {
		return ns.folded[string(lower)]
	}
	for _, n := range ns.all {
		if strings.EqualFold(string(name), n) {
			return n
		}
	}
	return ""
}

// asciiLower appends name in lower case to dst; false when name is not
// ASCII or longer than dst's room.
func asciiLower(dst, name []byte) ([]byte, bool) {
	if len(name) > cap(dst) {
		return nil, false
	}
	for _, c := range name {
		if c >= utf8.RuneSelf {
			return nil, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

// Present reports whether v, a value read with Value, is there and not null.
func Present(v jsontext.Value) bool { return len(v) > 0 && string(v) != "null" }

// Ref is an ARN with a name, as both streams write a routing profile, a
// queue or a hierarchy group: the decoders' wire structs share it.
type Ref struct {
	ARN  string
	Name string
}

var refNames = NewNames("ARN", "Name")

// Member reads the member name of a Ref (for Struct). Its values repeat
// from record to record, so they are read with Shared.
func (f *Ref) Member(r *Reader, name []byte) error {
	switch refNames.Match(name) {
	case "ARN":
		return r.Shared(&f.ARN)
	case "Name":
		return r.Shared(&f.Name)
	}
	return r.Skip()
}
