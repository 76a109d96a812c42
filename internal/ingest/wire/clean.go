package wire

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// PostgreSQL's numeric type, which its jsonb uses for every JSON number,
// holds at most 131072 digits before the decimal point and 16383 after it.
const (
	maxNumberIntDigits  = 131072
	maxNumberFracDigits = 16383
)

// Doc is a record as Clean leaves it: its bytes, and what Clean's one pass
// over them learnt, so that nothing scans them again to find it out.
type Doc struct {
	// Data is the record with the escapes no dialect can keep replaced
	// (the input itself when nothing needed replacing).
	Data []byte
	// spaced: white space between tokens (Raw must compact the record).
	spaced bool
	// invalidUTF8: a string holds invalid UTF-8 (Raw must replace it).
	invalidUTF8 bool
	// plain: valid UTF-8 with no backslash, so every string's text is its
	// bytes (the zero value, false, makes the Reader look at each string).
	plain bool
}

// Clean returns the record as every dialect can keep it in its raw column,
// or a *connectreporting.DecodeError for what no dialect can keep.
//
// Escapes of text PostgreSQL cannot store become U+FFFD, as Go's decoder
// reads them anyway: \u0000 (U+0000), and a \u escape of a UTF-16 surrogate
// that is not part of a pair. Escaped backslashes are left alone (\\u0000
// is the text "\u0000"). A JSON number outside what PostgreSQL's numeric
// type holds (1e999999) makes the record invalid: jsonb would refuse it.
// Doc.Data is data itself when nothing needs replacing.
//
// It is one pass over the bytes that jumps over the contents of strings
// (bytes.IndexByte to the closing quote; escapes are looked at only when
// the record has a backslash at all), and it also notes what Doc.Raw needs
// to know: white space between tokens, invalid UTF-8 (utf8.Valid over the
// whole record). It does not validate the JSON: the decoder that reads
// Doc.Data does.
func Clean(data []byte) (Doc, error) { return CleanTop(data, nil) }

// CleanTop is Clean that also tells top, on its way, each member of the
// record's top-level object: its name as written (escapes and all) and
// whether its value is null, so that the kind of a record is known with no
// other pass over it. When the record is no object, or not valid JSON,
// what top is told means nothing.
func CleanTop(data []byte, top func(name []byte, null bool)) (Doc, error) {
	s := scan{data: data, escapes: bytes.IndexByte(data, '\\') >= 0}
	s.doc.invalidUTF8 = !utf8.Valid(data)
	s.doc.plain = !s.doc.invalidUTF8 && !s.escapes
	depth := 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			end := len(data)
			if s.escapes {
				end = s.str(i + 1)
			} else if j := bytes.IndexByte(data[i+1:], '"'); j >= 0 {
				end = i + 1 + j // no escapes in the record: the next quote ends the string
			}
			if depth == 1 && top != nil {
				member(data, i+1, end, top)
			}
			i = end
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c == '-' || (c >= '0' && c <= '9'):
			j := numberEnd(data, i)
			if err := checkNumber(data[i:j]); err != nil {
				return Doc{}, err
			}
			i = j - 1
		case IsSpace(c):
			s.doc.spaced = true
		}
	}
	if s.out == nil {
		s.doc.Data = data
	} else {
		s.doc.Data = append(s.out, data[s.last:]...)
	}
	return s.doc, nil
}

// member tells top of the string data[i:end] when it is a name: a colon
// follows it.
func member(data []byte, i, end int, top func(name []byte, null bool)) {
	k := SkipSpace(data, end+1)
	if k >= len(data) || data[k] != ':' {
		return
	}
	v := SkipSpace(data, k+1)
	top(data[i:end], bytes.HasPrefix(data[v:], []byte("null")))
}

// SkipSpace returns the index of the first byte of data from i on that is
// not JSON white space (len(data) when there is none).
func SkipSpace(data []byte, i int) int {
	for i < len(data) && IsSpace(data[i]) {
		i++
	}
	return i
}

// scan is Clean's state.
type scan struct {
	data    []byte
	escapes bool   // data holds a backslash
	out     []byte // nil until something is replaced
	last    int    // data[last:] is not yet copied to out
	doc     Doc
}

// str reads the string whose contents start at data[i] and returns the
// index of its closing quote (len(data) when there is none: the decoder
// reports that).
func (s *scan) str(i int) int {
	data := s.data
	for i < len(data) {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return len(data)
		}
		k := -1
		if s.escapes {
			k = bytes.IndexByte(data[i:i+j], '\\')
		}
		if k < 0 {
			return i + j
		}
		i += k // at a backslash
		if i+1 >= len(data) || data[i+1] != 'u' {
			i += 2 // any other escape, kept whole (an escaped quote too)
			continue
		}
		n, bad := badEscape(data[i:])
		if bad {
			s.out = append(append(s.out, data[s.last:i]...), `\ufffd`...)
			s.last = i + 6
		}
		i += n
	}
	return len(data)
}

// IsSpace reports whether c is JSON white space.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// badEscape looks at the \u escape at the start of b: n is how many bytes
// to step over (6, or 12 for a surrogate pair), bad is true when the first
// escape must become U+FFFD. A truncated or invalid escape is left for the
// JSON decoder to report.
func badEscape(b []byte) (n int, bad bool) {
	r, ok := hex4(b)
	if !ok {
		return 2, false
	}
	switch {
	case r == 0:
		return 6, true
	case r >= 0xD800 && r < 0xDC00: // high surrogate: a low one must follow
		if lo, ok := hex4(b[6:]); ok && len(b) >= 12 && b[6] == '\\' && lo >= 0xDC00 && lo < 0xE000 {
			return 12, false
		}
		return 6, true
	case r >= 0xDC00 && r < 0xE000: // a low surrogate alone
		return 6, true
	}
	return 6, false
}

// hex4 reads the value of the escape \uXXXX at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[2:6]), 16, 32)
	return rune(v), err == nil
}

func numberEnd(data []byte, i int) int {
	for i < len(data) {
		switch c := data[i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			i++
		default:
			return i
		}
	}
	return i
}

// checkNumber refuses a JSON number PostgreSQL's numeric cannot hold.
// Malformed numbers are left for the JSON decoder to report.
func checkNumber(num []byte) error {
	if len(num) <= maxNumberFracDigits && bytes.IndexByte(num, 'e') < 0 && bytes.IndexByte(num, 'E') < 0 {
		return nil // no exponent, fewer digits than either limit
	}
	mant, exp := num, int64(0)
	if k := bytes.IndexAny(num, "eE"); k >= 0 {
		mant = num[:k]
		e, err := strconv.ParseInt(string(num[k+1:]), 10, 64)
		if err != nil || e > 1e9 || e < -1e9 {
			if err != nil && len(num[k+1:]) < 12 {
				return nil // not a number: the decoder says so
			}
			return Malformed("", "number "+clip(string(num), 32)+" out of the range a database can store", nil)
		}
		exp = e
	}
	mant = bytes.TrimPrefix(mant, []byte("-"))
	intPart, frac, _ := bytes.Cut(mant, []byte("."))
	intPart = bytes.TrimLeft(intPart, "0")
	scale := max(int64(len(frac))-exp, 0)
	intDigits := int64(0)
	switch {
	case len(intPart) > 0:
		intDigits = int64(len(intPart)) + exp
	case len(bytes.Trim(frac, "0")) > 0:
		lead := int64(len(frac) - len(bytes.TrimLeft(frac, "0")))
		intDigits = exp - lead
	}
	if scale > maxNumberFracDigits || intDigits > maxNumberIntDigits {
		return Malformed("", "number "+clip(string(num), 32)+" out of the range a database can store", nil)
	}
	return nil
}
