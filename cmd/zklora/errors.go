package main

import (
	"errors"
	"strings"
)

// Exit codes. Every failure prints one line on stderr and exits non-zero.
const (
	exitOK       = 0
	exitFailure  = 1 // any runtime failure
	exitUsage    = 2 // bad flags or arguments
	exitVerify   = 3 // verification ran and rejected something
	exitInternal = 4 // a bug: please report it
)

// usageError marks errors caused by how the command was invoked.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// verifyError marks a completed verification that rejected its input.
type verifyError struct{ err error }

func (e verifyError) Error() string { return e.err.Error() }
func (e verifyError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var u usageError
	var v verifyError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &u):
		return exitUsage
	case errors.As(err, &v):
		return exitVerify
	case strings.HasPrefix(err.Error(), "unknown command"),
		strings.HasPrefix(err.Error(), "unknown flag"),
		strings.HasPrefix(err.Error(), "unknown shorthand flag"),
		strings.Contains(err.Error(), "flag needs an argument"),
		strings.Contains(err.Error(), "required flag"),
		strings.Contains(err.Error(), "invalid argument"):
		return exitUsage
	}
	return exitFailure
}

// oneLine folds an error message onto a single line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
