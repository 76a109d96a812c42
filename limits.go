package connectreporting

import "unicode/utf16"

// Column limits. A value longer than its limit cannot be stored on SQL
// Server (its key columns are sized by these), so the decoders reject the
// record (to rejected_record) rather than let one dialect cut it. Lengths
// count UTF-16 code units, as SQL Server's nvarchar(n) does: see TextLen.
//
// Contact attribute names have no limit: SQL Server keys contact_attribute
// on a SHA-256 of the name and stores the name whole, as PostgreSQL and
// SQLite do.
const (
	// MaxIDLen bounds every Connect id: EventId, ContactId, the agent,
	// queue, routing-profile, hierarchy and status ids (UUIDs of 36
	// characters in Connect). SQL Server stores them as nvarchar(128).
	MaxIDLen = 128
	// MaxChannelLen bounds a channel name (VOICE, CHAT, TASK, EMAIL).
	MaxChannelLen = 32
)

// TextLen is the length of s as SQL Server's nvarchar(n) counts it: UTF-16
// code units (a character outside the Basic Multilingual Plane counts 2).
// It is never more than len(s).
func TextLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
