//go:build lambda

package main

// appCommands: the Lambda build keeps migrate, ingest and poll only (see
// commands.go).
func appCommands() []command { return nil }
