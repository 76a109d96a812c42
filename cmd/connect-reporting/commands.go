//go:build !lambda

package main

// appCommands are the commands of the full binary that the Lambda build
// (tag lambda, `make lambda`) leaves out: the simulator, the dashboard and
// the daemon's Kinesis consumer are not needed on Lambda, and leaving them
// out keeps the bootstrap under 25 MB.
func appCommands() []command {
	return []command{
		{name: "demo", summary: "simulated contact centre + the full pipeline + dashboard on embedded SQLite", run: runDemo},
		{name: "run", summary: "daemon: stream consumers, scheduled pollers, dashboard (--config FILE)", run: runDaemon, logs: "json"},
		{name: "serve", summary: "dashboard only: live wallboard and reports from the database", run: runServe},
		{name: "simulate", summary: "the simulated Connect API (and its record streams) alone, for any AWS client", run: runSimulate},
	}
}
