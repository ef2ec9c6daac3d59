package identity

import (
	"crypto/ed25519"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// ALPN is the application protocol both sides negotiate.
const ALPN = "zklora/1"

// ErrPinMismatch is returned when the peer's certificate is not the pinned one.
var ErrPinMismatch = errors.New("identity: peer certificate does not match the pinned fingerprint")

// ServerConfig returns A's TLS configuration: TLS 1.3 only, the identity's
// certificate, and an optional client certificate (whose fingerprint, when
// present, identifies the client for row budgets).
func ServerConfig(id *Identity) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		MaxVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.Cert},
		NextProtos:   []string{ALPN},
		ClientAuth:   tls.RequestClientCert,
		// Client certificates are self-signed identities; accept any
		// well-formed Ed25519 one. The server never trusts them for more
		// than naming the client.
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return nil
			}
			return checkSelfSigned(cs.PeerCertificates[0])
		},
	}
}

// ClientConfig returns B's TLS configuration: TLS 1.3 only, and A's
// certificate must have the pinned fingerprint (64 hex digits). If self is
// not nil, B presents it as its client identity.
func ClientConfig(pin string, self *Identity) (*tls.Config, error) {
	want, err := NormalizeFingerprint(pin)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS13,
		MaxVersion: tls.VersionTLS13,
		NextProtos: []string{ALPN},
		ServerName: "zklora",
		// There is no CA chain to verify: the pin below replaces it.
		InsecureSkipVerify: true, //nolint:gosec // replaced by the explicit pin check
		VerifyConnection: func(cs tls.ConnectionState) error {
			if cs.Version != tls.VersionTLS13 {
				return fmt.Errorf("identity: TLS version 0x%04x negotiated, want TLS 1.3", cs.Version)
			}
			if len(cs.PeerCertificates) != 1 {
				return fmt.Errorf("identity: peer sent %d certificates, want exactly 1", len(cs.PeerCertificates))
			}
			got := Fingerprint(cs.PeerCertificates[0].Raw)
			if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				return fmt.Errorf("%w: got %s, pinned %s", ErrPinMismatch, got, want)
			}
			return checkSelfSigned(cs.PeerCertificates[0])
		},
	}
	if self != nil {
		cfg.Certificates = []tls.Certificate{self.Cert}
	}
	return cfg, nil
}

// checkSelfSigned checks that cert is an Ed25519 certificate signed by its
// own key (so that whoever presents it holds the key, which TLS 1.3's
// CertificateVerify proves, and the certificate is well-formed).
func checkSelfSigned(cert *x509.Certificate) error {
	if _, ok := cert.PublicKey.(ed25519.PublicKey); !ok {
		return errors.New("identity: peer certificate key is not Ed25519")
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		return fmt.Errorf("identity: peer certificate is not self-signed: %w", err)
	}
	return nil
}

// PeerFingerprint returns the fingerprint of the peer's certificate in an
// established connection, or "" if it presented none.
func PeerFingerprint(cs tls.ConnectionState) string {
	if len(cs.PeerCertificates) == 0 {
		return ""
	}
	return Fingerprint(cs.PeerCertificates[0].Raw)
}
