package main

import (
	"context"
	"fmt"
)

// Commands not built yet say so, in --help and when run. Each moves to a file
// of its own when it lands.
func init() {
	for _, c := range []struct{ name, summary string }{
	} {
		name := c.name
		register(command{name: name, summary: c.summary, run: func(context.Context, *Main, []string) error {
			return fmt.Errorf("%s: not yet available in this build", name)
		}})
	}
}
