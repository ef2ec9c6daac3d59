package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// setupJSON runs a setup command with --json and decodes its result.
func setupJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, errs := runCLI(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%s: %v: %s", args[1], err, out)
	}
	return m
}

// TestSetupCLIFlow runs the file-based two-party ceremony at a tiny shape
// through the CLI (init, two contributions per phase, phase2, verify
// --contains, finalize into a key store) and checks that a tampered or a
// truncated transcript is rejected with a clear error.
func TestSetupCLIFlow(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	m := setupJSON(t, "setup", "init", "--shape", "4x2x4", "--out", dir)
	t0, _ := m["file"].(string)
	if t0 == "" {
		t.Fatalf("init: %v", m)
	}
	a1 := setupJSON(t, "setup", "contribute", "--in", t0, "--out", p("p1.a"))["contribution"].(string)
	b1 := setupJSON(t, "setup", "contribute", "--in", p("p1.a"), "--out", p("p1.ab"), "--beacon", "d1ce5eed")["contribution"].(string)
	setupJSON(t, "setup", "phase2", "--in", p("p1.ab"), "--out", p("p2"), "--beacon", "0a0b")
	a2 := setupJSON(t, "setup", "contribute", "--in", p("p2"), "--out", p("p2.a"))["contribution"].(string)
	b2 := setupJSON(t, "setup", "contribute", "--in", p("p2.a"), "--out", p("p2.ab"), "--beacon", "0123456789abcdef")["contribution"].(string)
	v := setupJSON(t, "setup", "verify", "--in", p("p2.ab"), "--contains", a1+","+a2)
	if v["verified"] != true {
		t.Fatalf("verify: %v", v)
	}
	f := setupJSON(t, "setup", "finalize", "--in", p("p2.ab"), "--keys", p("keys"), "--out", p("final"), "--contains", b1+","+b2)
	if f["key_mode"] != "ceremony" || f["ceremony_hash"] == "" || f["vk_fingerprint"] == "" {
		t.Fatalf("finalize: %v", f)
	}
	fv := setupJSON(t, "setup", "verify", "--in", p("final"))
	if fv["ceremony_hash"] != f["ceremony_hash"] || fv["vk_fingerprint"] != f["vk_fingerprint"] {
		t.Fatalf("verify of the final transcript: %v, finalize said %v", fv, f)
	}

	// A contribution that is not in the transcript.
	if code, _, errs := runCLI(t, "setup", "verify", "--in", p("p2.a"), "--contains", b2); code != exitVerify || errs == "" {
		t.Fatalf("verify --contains of a missing contribution: exit %d: %s", code, errs)
	}
	// Tampering: one byte of B's phase-2 contribution (its point data).
	b, err := os.ReadFile(p("p2.ab"))
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), b...)
	bad[len(bad)-200] ^= 0x40
	if err := os.WriteFile(p("bad"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "setup", "verify", "--in", p("bad")); code == 0 || !strings.Contains(errs, "corrupt") {
		t.Fatalf("tampered transcript: exit %d: %s", code, errs)
	}
	// Truncation.
	if err := os.WriteFile(p("short"), b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "setup", "verify", "--in", p("short")); code == 0 || !strings.Contains(errs, "truncated") || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
		t.Fatalf("truncated transcript: exit %d: %q", code, errs)
	}
}

// TestDemoCeremonyVerify runs the loopback demo (which runs the key
// ceremonies), then verifies its session with B's key store as the
// ceremony record (accepted), without --allow-dev-keys, and against an
// empty store (rejected: the keys come from no ceremony B knows).
func TestDemoCeremonyVerify(t *testing.T) {
	keys, keep := t.TempDir(), t.TempDir()
	if code, _, errs := runCLI(t, "demo", "--keys", keys, "--out", keep, "--json"); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errs)
	}
	b := filepath.Join(keep, "b")
	args := []string{"verify", "--proof-dir", filepath.Join(b, "artifacts"), "--transcript", filepath.Join(b, "transcript.zklt")}
	code, out, errs := runCLI(t, append(args, "--ceremony-keys", keys)...)
	if code != 0 || !strings.Contains(out, "key mode: ceremony") || !strings.Contains(out, "ceremony=") {
		t.Fatalf("verify with the ceremony record: exit %d: %s%s", code, out, errs)
	}
	if code, _, errs := runCLI(t, append(args, "--ceremony-keys", t.TempDir())...); code != exitVerify {
		t.Fatalf("verify against an empty ceremony record: exit %d: %s", code, errs)
	}
}
