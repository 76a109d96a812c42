package web

// WriteCSV is writeCSV for the tests of package web_test.
var WriteCSV = writeCSV

// ResetWallboardCache empties the wallboard cache, so that a benchmark
// measures one query per round.
func (h *Handler) ResetWallboardCache() { h.wallboards.reset() }

// ExpireWallboardCache ages the cached wallboards past the refresh interval.
func (h *Handler) ExpireWallboardCache() { h.wallboards.expire() }
