//go:build !race

package report_test

// raceDetector is true when the tests run with -race.
const raceDetector = false
