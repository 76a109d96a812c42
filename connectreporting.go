// Package connectreporting holds the domain of connect-reporting: the records
// Amazon Connect emits (agent events, contact records, real-time and
// historical metrics, configuration) and the interfaces of the store that
// lands them in SQL. It depends on the standard library only; adapters live
// under internal/ in packages named after their technology, and
// cmd/connect-reporting is the only place that wires them together.
package connectreporting

import "time"

// Channels as Amazon Connect names them. Contact records say TASK; some
// metric APIs and older exports say TASKS: NormalizeChannel folds both.
const (
	ChannelVoice = "VOICE"
	ChannelChat  = "CHAT"
	ChannelTask  = "TASK"
	ChannelEmail = "EMAIL"
)

// NormalizeChannel returns the canonical upper-case channel name; "TASKS"
// becomes "TASK". Unknown channels are returned upper-cased, never dropped.
func NormalizeChannel(ch string) string {
	up := make([]byte, 0, len(ch))
	for i := 0; i < len(ch); i++ {
		c := ch[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = append(up, c)
	}
	s := string(up)
	if s == "TASKS" {
		return ChannelTask
	}
	return s
}

// IDFromARN returns Connect's short id: the last path segment of an ARN such
// as arn:aws:connect:eu-west-2:123456789012:instance/abc/agent/<id>. A value
// that is not an ARN is returned as it is, so ids and ARNs may be mixed.
func IDFromARN(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:]
		}
	}
	return arn
}

// UTC returns t in UTC, keeping the zero time zero (zero means "absent").
func UTC(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
