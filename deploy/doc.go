// Package deploy holds the CloudFormation template of connect-reporting
// (template.yaml), sample events (events/) and the tests that hold the
// template to its invariants. It has no code of its own.
package deploy
