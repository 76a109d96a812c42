// Package lambda runs connect-reporting as AWS Lambda functions on the
// provided.al2023 runtime. One binary serves every function: the function's
// handler name (_HANDLER) selects what an invocation does.
//
//	ProcessAgentEvents   Kinesis agent event stream -> Ingester (source "agent-events")
//	ProcessCTR           Kinesis contact record stream -> Ingester (source "ctr")
//	OnboardObservations  schedule -> real-time poller, looping until the invocation's deadline
//	OnboardMetrics       schedule -> historical metrics poller
//	OnboardUserGroups    schedule -> configuration poller
//
// The handler strings of the earlier .NET deployment
// ("ConnectLambda::ConnectLambda.ProcessAgentEvents::Handler") are accepted
// too, so an existing function configuration keeps working.
//
// This package is the only importer of aws-lambda-go besides cmd. It knows
// nothing of SQL: cmd supplies a Factory that opens the store and builds the
// ingest engine and the pollers.
package lambda

import (
	"fmt"
	"strings"
)

// Handler names (the value of _HANDLER, after normalisation).
const (
	ProcessAgentEvents  = "ProcessAgentEvents"
	ProcessCTR          = "ProcessCTR"
	OnboardObservations = "OnboardObservations"
	OnboardMetrics      = "OnboardMetrics"
	OnboardUserGroups   = "OnboardUserGroups"
	// Maintain runs retention (RAW_DAYS, KEEP_DAYS) and index maintenance,
	// as `connect-reporting maintain` does; the template schedules it daily.
	Maintain = "Maintain"
)

var handlerNames = []string{ProcessAgentEvents, ProcessCTR, OnboardObservations, OnboardMetrics, OnboardUserGroups, Maintain}

// HandlerNames returns the canonical handler names, in a fixed order.
func HandlerNames() []string { return append([]string(nil), handlerNames...) }

// IsStreamHandler reports whether name (canonical) consumes a Kinesis stream.
func IsStreamHandler(name string) bool { return name == ProcessAgentEvents || name == ProcessCTR }

// NeedsInstance reports whether name (canonical) calls the Connect API, so
// INSTANCE_ID must be set.
func NeedsInstance(name string) bool { return !IsStreamHandler(name) && name != Maintain }

// UnknownHandlerError is returned by NormalizeHandler for a name it does not know.
type UnknownHandlerError struct{ Name string }

func (e *UnknownHandlerError) Error() string {
	return fmt.Sprintf("unknown handler %q: valid handlers are %s (or the .NET form ConnectLambda::ConnectLambda.<Name>::Handler)",
		e.Name, strings.Join(handlerNames, ", "))
}

// NormalizeHandler maps a handler string to its canonical name. It accepts
// the canonical names in any letter case, and the .NET handler strings of
// the earlier deployment, "Assembly::Namespace.Type::Method", where either
// the type's last segment or the method names the function:
//
//	ConnectLambda::ConnectLambda.ProcessAgentEvents::Handler -> ProcessAgentEvents
//	ConnectLambda::ConnectLambda.Function::ProcessCTR        -> ProcessCTR
func NormalizeHandler(s string) (string, error) {
	s = strings.TrimSpace(s)
	var candidates []string
	if parts := strings.Split(s, "::"); len(parts) == 3 {
		typ := parts[1]
		if i := strings.LastIndexByte(typ, '.'); i >= 0 {
			typ = typ[i+1:]
		}
		candidates = append(candidates, typ, parts[2])
	} else if !strings.Contains(s, "::") {
		candidates = append(candidates, s)
		// "ConnectLambda.ProcessCTR" (type only) and "main.ProcessCTR".
		if i := strings.LastIndexByte(s, '.'); i >= 0 {
			candidates = append(candidates, s[i+1:])
		}
	}
	for _, c := range candidates {
		for _, n := range handlerNames {
			if strings.EqualFold(c, n) {
				return n, nil
			}
		}
	}
	return "", &UnknownHandlerError{Name: s}
}
