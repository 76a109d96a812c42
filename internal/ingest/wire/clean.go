package wire

import (
	"bytes"
	"strconv"
)

// PostgreSQL's numeric type, which its jsonb uses for every JSON number,
// holds at most 131072 digits before the decimal point and 16383 after it.
const (
	maxNumberIntDigits  = 131072
	maxNumberFracDigits = 16383
)

// Clean returns the record as every dialect can keep it in its raw column,
// or a *connectreporting.DecodeError for what no dialect can keep.
//
// Escapes of text PostgreSQL cannot store become U+FFFD, as Go's decoder
// reads them anyway: \u0000 (U+0000), and a \u escape of a UTF-16 surrogate
// that is not part of a pair. Escaped backslashes are left alone (\\u0000
// is the text "\u0000"). A JSON number outside what PostgreSQL's numeric
// type holds (1e999999) makes the record invalid: jsonb would refuse it.
// data is returned as it is when nothing needs replacing.
func Clean(data []byte) ([]byte, error) {
	var out []byte // nil until something is replaced
	last := 0      // data[last:i] is not yet copied to out
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if !inString {
			switch {
			case c == '"':
				inString = true
			case c == '-' || (c >= '0' && c <= '9'):
				j := numberEnd(data, i)
				if err := checkNumber(data[i:j]); err != nil {
					return nil, err
				}
				i = j - 1
			}
			continue
		}
		switch c {
		case '"':
			inString = false
			continue
		case '\\':
		default:
			continue
		}
		if i+1 >= len(data) || data[i+1] != 'u' {
			i++ // any other escape, kept whole
			continue
		}
		n, bad := badEscape(data[i:])
		if bad {
			out = append(append(out, data[last:i]...), `\ufffd`...)
			last = i + 6
		}
		i += n - 1
	}
	if out == nil {
		return data, nil
	}
	return append(out, data[last:]...), nil
}

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
