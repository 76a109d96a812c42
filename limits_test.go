package connectreporting

import "testing"

func TestTextLen(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"0f5b2f6e-1111-4c4e-9c2d-5a0b7c4a9e01", 36},
		{"café", 4},     // é: 2 bytes in UTF-8, 1 unit
		{"日本語", 3},      // 3 bytes each in UTF-8
		{"a😀b", 4},      // outside the BMP: a surrogate pair
		{"\xff\xfe", 2}, // invalid UTF-8 decodes to U+FFFD, one unit each
	} {
		if got := TextLen(tc.s); got != tc.want || got > len(tc.s) {
			t.Errorf("TextLen(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}
