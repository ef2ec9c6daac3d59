package session

import (
	"fmt"
	"strings"
)

// Module statuses in a Report.
const (
	StatusVerified = "verified"
	StatusFailed   = "failed"
	StatusMissing  = "missing" // used in the session, no proof
	StatusExtra    = "extra"   // a proof for a module the session did not use
)

// ModuleReport is the verdict on one module.
type ModuleReport struct {
	Name       string `json:"name"`
	Status     string `json:"status"`
	Rows       int    `json:"rows"`
	Calls      int    `json:"calls"`
	KeyMode    string `json:"key_mode,omitempty"`
	Ceremony   string `json:"ceremony,omitempty"`
	Commitment string `json:"commitment,omitempty"`
	Error      string `json:"error,omitempty"`
}

// Report is the result of verifying a session's artifacts against B's
// transcript. OK is true only if every used module has exactly one proof
// and every proof verified, and no session-level check failed.
type Report struct {
	SessionID string         `json:"session_id"`
	Proofs    int            `json:"proofs"`
	Verified  int            `json:"verified"`
	Failed    int            `json:"failed"`
	KeyMode   string         `json:"key_mode,omitempty"`
	Errors    []string       `json:"errors,omitempty"` // session-level failures
	Modules   []ModuleReport `json:"modules"`
	// Covered is what the proofs cover, stated plainly.
	Covered []string `json:"covered"`
	// NotCovered is what B used that no proof covers.
	NotCovered []string `json:"not_covered"`
	OK         bool     `json:"ok"`
}

func (r *Report) fail(format string, args ...any) {
	r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
}

func (r *Report) finish() {
	r.Verified, r.Failed = 0, 0
	for _, m := range r.Modules {
		if m.Status == StatusVerified {
			r.Verified++
		} else {
			r.Failed++
		}
	}
	r.OK = len(r.Errors) == 0 && r.Failed == 0 && r.Verified > 0
}

// Err summarises a failed report as one error (nil if OK). Modules that
// failed for the same reason are named together.
func (r *Report) Err() error {
	if r.OK {
		return nil
	}
	parts := append([]string(nil), r.Errors...)
	var reasons []string
	byReason := map[string][]string{}
	for _, m := range r.Modules {
		if m.Status == StatusVerified {
			continue
		}
		reason := m.Status + ": " + m.Error
		if _, ok := byReason[reason]; !ok {
			reasons = append(reasons, reason)
		}
		byReason[reason] = append(byReason[reason], m.Name)
	}
	for _, reason := range reasons {
		mods := byReason[reason]
		label := "module " + mods[0]
		if len(mods) > 1 {
			label = fmt.Sprintf("modules %s", strings.Join(mods, ", "))
		}
		parts = append(parts, label+": "+reason)
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing was verified")
	}
	return fmt.Errorf("verification failed: %d of %d modules verified; %s", r.Verified, r.Verified+r.Failed, strings.Join(parts, "; "))
}
