package ingest

import "bytes"

// sniffKind tells the kind of a record by its top-level fields as
// DetectKind does (a field counts when present and not null; names match
// case-insensitively, the last of a repeated name wins, as encoding/json
// reads them), in one pass over the bytes that decodes nothing. ok is false
// when it cannot tell (not an object, an escaped field name, input it does
// not follow): the caller then asks DetectKind, which also explains what
// is wrong.
func sniffKind(data []byte) (kind Kind, ok bool) {
	var m marks
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return KindUnknown, false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return m.kind()
	}
	for i < len(data) {
		if data[i] != '"' {
			return KindUnknown, false
		}
		end := bytes.IndexByte(data[i+1:], '"')
		if end < 0 {
			return KindUnknown, false
		}
		name := data[i+1 : i+1+end]
		if bytes.IndexByte(name, '\\') >= 0 {
			return KindUnknown, false
		}
		i = skipSpace(data, i+2+end)
		if i >= len(data) || data[i] != ':' {
			return KindUnknown, false
		}
		i = skipSpace(data, i+1)
		present := !bytes.HasPrefix(data[i:], []byte("null"))
		if i = skipValue(data, i); i < 0 {
			return KindUnknown, false
		}
		m.set(name, present)
		i = skipSpace(data, i)
		if i >= len(data) {
			return KindUnknown, false
		}
		switch data[i] {
		case '}':
			if skipSpace(data, i+1) != len(data) {
				return KindUnknown, false
			}
			return m.kind()
		case ',':
			i = skipSpace(data, i+1)
		default:
			return KindUnknown, false
		}
	}
	return KindUnknown, false
}

// marks are the top-level fields that tell the kinds apart.
type marks struct {
	eventID, eventType, contactID, version, method, channel bool
}

func (m *marks) set(name []byte, present bool) {
	for _, f := range []struct {
		name string
		p    *bool
	}{
		{"EventId", &m.eventID}, {"EventType", &m.eventType}, {"ContactId", &m.contactID},
		{"AWSContactTraceRecordFormatVersion", &m.version}, {"InitiationMethod", &m.method}, {"Channel", &m.channel},
	} {
		if len(name) == len(f.name) && bytes.EqualFold(name, []byte(f.name)) {
			*f.p = present
		}
	}
}

// kind is DetectKind's rule; a record of both or neither kind is left to
// DetectKind, which explains it.
func (m marks) kind() (Kind, bool) {
	agent := m.eventType && m.eventID
	contact := m.contactID && (m.version || m.method || m.channel)
	switch {
	case agent && !contact:
		return KindAgentEvent, true
	case contact && !agent:
		return KindContactRecord, true
	}
	return KindUnknown, false
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// skipValue returns the index after the JSON value at data[i], or -1. It
// follows strings and brackets only; the decoder validates the rest.
func skipValue(data []byte, i int) int {
	depth := 0
	for i < len(data) {
		switch data[i] {
		case '"':
			j := stringEnd(data, i+1)
			if j < 0 {
				return -1
			}
			i = j + 1
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing object: a scalar ended here
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	if depth == 0 {
		return i
	}
	return -1
}

// stringEnd returns the index of the quote that closes the string whose
// contents start at data[i], or -1. It jumps from quote to quote: a quote
// after an odd number of backslashes is escaped.
func stringEnd(data []byte, i int) int {
	for i <= len(data) {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return -1
		}
		q, n := i+j, 0
		for data[q-n-1] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q
		}
		i = q + 1
	}
	return -1
}
