package simulator

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"time"
)

const hexDigits = "0123456789abcdef"

// formatUUID writes 16 bytes as a version-4 style UUID string.
func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	j := 0
	for i := 0; i < 16; i++ {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j] = hexDigits[b[i]>>4]
		out[j+1] = hexDigits[b[i]&0x0f]
		j += 2
	}
	return string(out[:])
}

// stableUUID derives a UUID from the seed and a name, so configuration ids
// stay the same whatever else changes.
func stableUUID(seed int64, parts ...string) string {
	h := sha256.New()
	var sb [8]byte
	binary.BigEndian.PutUint64(sb[:], uint64(seed))
	h.Write(sb[:])
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	var b [16]byte
	copy(b[:], h.Sum(nil))
	return formatUUID(b)
}

// randUUID draws a UUID from r.
func randUUID(r *rand.Rand) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], r.Uint64())
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	return formatUUID(b)
}

// Timestamp layouts of the two streams: agent events carry milliseconds,
// contact records whole seconds.
const (
	agentEventTimeLayout = "2006-01-02T15:04:05.000Z"
	ctrTimeLayout        = "2006-01-02T15:04:05Z"
)

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func appendAETime(b []byte, ms int64) []byte {
	b = append(b, '"')
	b = msTime(ms).AppendFormat(b, agentEventTimeLayout)
	return append(b, '"')
}
