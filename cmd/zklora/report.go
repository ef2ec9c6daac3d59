package main

import (
	"fmt"
	"io"

	"github.com/zklora/zklora/engine/session"
)

// printReport prints a verification report for people.
func printReport(w io.Writer, rep *session.Report) {
	fmt.Fprintf(w, "session %s: %d proofs, %d verified, %d failed (key mode: %s)\n", rep.SessionID, rep.Proofs, rep.Verified, rep.Failed, orDash(rep.KeyMode))
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "  FAIL session: %s\n", e)
	}
	for _, m := range rep.Modules {
		mark := "ok  "
		if m.Status != session.StatusVerified {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %-36s %-8s rows=%d calls=%d", mark, m.Name, m.Status, m.Rows, m.Calls)
		if m.Ceremony != "" {
			fmt.Fprintf(w, " ceremony=%s", m.Ceremony)
		}
		if m.Error != "" {
			fmt.Fprintf(w, "  %s", m.Error)
		}
		fmt.Fprintln(w)
	}
	if len(rep.NotCovered) > 0 {
		fmt.Fprintln(w, "not covered by the proofs:")
		for _, s := range rep.NotCovered {
			fmt.Fprintf(w, "  - %s\n", s)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
