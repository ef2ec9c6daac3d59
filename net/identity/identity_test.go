package identity

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serve accepts one TLS connection with cfg, completes the handshake,
// echoes one line and reports the handshake result and the client's
// fingerprint.
type result struct {
	err     error
	peerFP  string
	version uint16
}

func serveOnce(t *testing.T, cfg *tls.Config) (addr string, done <-chan result) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan result, 1)
	go func() {
		defer l.Close()
		c, err := l.Accept()
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		tc := tls.Server(c, cfg)
		if err := tc.Handshake(); err != nil {
			ch <- result{err: err}
			return
		}
		buf := make([]byte, 4)
		_, err = io.ReadFull(tc, buf)
		if err == nil {
			_, err = tc.Write(buf)
		}
		cs := tc.ConnectionState()
		ch <- result{err: err, peerFP: PeerFingerprint(cs), version: cs.Version}
	}()
	return l.Addr().String(), ch
}

func dial(addr string, cfg *tls.Config) error {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	return err
}

func mustNew(t *testing.T) *Identity {
	t.Helper()
	id, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPinnedOK(t *testing.T) {
	a, b := mustNew(t), mustNew(t)
	addr, done := serveOnce(t, ServerConfig(a))
	cfg, err := ClientConfig(strings.ToUpper(a.Fingerprint()), b)
	if err != nil {
		t.Fatal(err)
	}
	if err := dial(addr, cfg); err != nil {
		t.Fatalf("pinned dial: %v", err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("server: %v", r.err)
	}
	if r.version != tls.VersionTLS13 {
		t.Fatalf("negotiated 0x%x", r.version)
	}
	if r.peerFP != b.Fingerprint() {
		t.Fatalf("server saw client %q, want %q", r.peerFP, b.Fingerprint())
	}
}

func TestWrongPinRejected(t *testing.T) {
	a, other := mustNew(t), mustNew(t)
	addr, done := serveOnce(t, ServerConfig(a))
	cfg, err := ClientConfig(other.Fingerprint(), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = dial(addr, cfg)
	if !errors.Is(err, ErrPinMismatch) {
		t.Fatalf("got %v, want ErrPinMismatch", err)
	}
	if r := <-done; r.err == nil {
		t.Fatal("server completed a session with a client that rejected it")
	}
}

func TestTLS12Refused(t *testing.T) {
	a := mustNew(t)
	// A client that offers only TLS 1.2 cannot reach the server.
	addr, done := serveOnce(t, ServerConfig(a))
	old := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, InsecureSkipVerify: true}
	if err := dial(addr, old); err == nil {
		t.Fatal("TLS 1.2 client connected")
	}
	if r := <-done; r.err == nil {
		t.Fatal("server accepted TLS 1.2")
	}
	// A server that offers only TLS 1.2 is refused by the client.
	srv := ServerConfig(a)
	srv.MinVersion, srv.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	addr, done = serveOnce(t, srv)
	cfg, err := ClientConfig(a.Fingerprint(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := dial(addr, cfg); err == nil {
		t.Fatal("client accepted TLS 1.2")
	}
	<-done
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.pem")
	id := mustNew(t)
	if err := id.Save(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o, want 600", st.Mode().Perm())
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Fingerprint() != id.Fingerprint() {
		t.Fatal("fingerprint changed across save/load")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key loaded: %v", err)
	}
	// LoadOrCreate creates once, then loads the same identity.
	p2 := filepath.Join(dir, "b.pem")
	first, created, err := LoadOrCreate(p2)
	if err != nil || !created {
		t.Fatalf("LoadOrCreate: %v %v", created, err)
	}
	second, created, err := LoadOrCreate(p2)
	if err != nil || created || second.Fingerprint() != first.Fingerprint() {
		t.Fatalf("LoadOrCreate again: %v %v", created, err)
	}
}

func TestParseRejects(t *testing.T) {
	a, b := mustNew(t), mustNew(t)
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := a.Save(pa); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(pb); err != nil {
		t.Fatal(err)
	}
	da, _ := os.ReadFile(pa)
	db, _ := os.ReadFile(pb)
	// a's certificate with b's key.
	certA := da[:strings.Index(string(da), "-----BEGIN PRIVATE KEY")]
	keyB := db[strings.Index(string(db), "-----BEGIN PRIVATE KEY"):]
	for name, data := range map[string][]byte{
		"empty":      nil,
		"garbage":    []byte("not pem at all"),
		"cert only":  certA,
		"mismatched": append(append([]byte(nil), certA...), keyB...),
		"twice":      append(append([]byte(nil), da...), da...),
	} {
		if _, err := Parse(data); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestNormalizeFingerprint(t *testing.T) {
	id := mustNew(t)
	fp := id.Fingerprint()
	var colons []string
	for i := 0; i < len(fp); i += 2 {
		colons = append(colons, fp[i:i+2])
	}
	got, err := NormalizeFingerprint(strings.ToUpper(strings.Join(colons, ":")))
	if err != nil || got != fp {
		t.Fatalf("got %q %v", got, err)
	}
	for _, bad := range []string{"", "abc", fp[:62], fp + "00", "zz" + fp[2:]} {
		if _, err := NormalizeFingerprint(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestProbeFingerprint(t *testing.T) {
	a := mustNew(t)
	addr, done := serveOnce(t, ServerConfig(a))
	fp, err := ProbeFingerprint(t.Context(), addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if fp != a.Fingerprint() {
		t.Fatalf("probed %s, want %s", fp, a.Fingerprint())
	}
}
