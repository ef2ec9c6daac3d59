package identity

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"
)

// ProbeFingerprint connects to addr, completes a TLS 1.3 handshake without
// checking the certificate, and returns the fingerprint the server
// presented. It is trust on first use: the caller must tell its user that
// the peer was not authenticated, and should pin the result afterwards.
func ProbeFingerprint(ctx context.Context, addr string, timeout time.Duration) (string, error) {
	var seen string
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		MaxVersion:         tls.VersionTLS13,
		NextProtos:         []string{ALPN},
		ServerName:         "zklora",
		InsecureSkipVerify: true, //nolint:gosec // probing only: the result is pinned afterwards
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) != 1 {
				return fmt.Errorf("identity: peer sent %d certificates, want exactly 1", len(cs.PeerCertificates))
			}
			if err := checkSelfSigned(cs.PeerCertificates[0]); err != nil {
				return err
			}
			seen = Fingerprint(cs.PeerCertificates[0].Raw)
			return nil
		},
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: cfg}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("identity: probe %s: %w", addr, err)
	}
	_ = c.Close()
	if seen == "" {
		return "", errors.New("identity: probe: no certificate seen")
	}
	return seen, nil
}
