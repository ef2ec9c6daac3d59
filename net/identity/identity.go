// Package identity holds zklora's TLS identities (DESIGN §4): self-signed
// Ed25519 certificates, saved as PEM with mode 0600, identified by their
// fingerprint — the hex SHA-256 of the certificate's DER encoding. Party B
// pins party A's fingerprint; there is no certificate authority.
//
// Both sides speak TLS 1.3 only. The client configuration skips the
// standard chain verification (there is no chain) and replaces it with an
// explicit pin check in VerifyConnection, which runs on every handshake,
// resumed or not.
package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/zklora/zklora/engine/fsutil"
)

// Identity is a self-signed Ed25519 certificate and its private key.
type Identity struct {
	Cert tls.Certificate
	Leaf *x509.Certificate
}

// Validity of a new certificate.
const validity = 10 * 365 * 24 * time.Hour

// New creates a fresh identity with a self-signed Ed25519 certificate.
func New() (*Identity, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "zklora"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"zklora"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	return fromDER(der, priv)
}

func fromDER(der []byte, priv ed25519.PrivateKey) (*Identity, error) {
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	pub, ok := leaf.PublicKey.(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("identity: certificate key is not Ed25519")
	}
	if !bytes.Equal(pub, priv.Public().(ed25519.PublicKey)) {
		return nil, errors.New("identity: certificate and private key do not match")
	}
	return &Identity{Cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: leaf}, Leaf: leaf}, nil
}

// Fingerprint returns the identity's fingerprint (hex SHA-256 of the DER).
func (id *Identity) Fingerprint() string { return Fingerprint(id.Cert.Certificate[0]) }

// Fingerprint returns the hex SHA-256 of a certificate's DER encoding.
func Fingerprint(der []byte) string {
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}

// NormalizeFingerprint lower-cases a fingerprint and strips colons and
// spaces, and checks that it is 32 bytes of hex.
func NormalizeFingerprint(fp string) (string, error) {
	s := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(strings.TrimSpace(fp)))
	if b, err := hex.DecodeString(s); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("identity: fingerprint %q is not 64 hex digits (SHA-256 of the certificate)", fp)
	}
	return s, nil
}

// Maximum size of an identity file.
const maxFileBytes = 64 << 10

// Save writes the certificate and the PKCS#8 private key as PEM to path,
// crash-safe, readable by the owner only (0600).
func (id *Identity) Save(path string) error {
	key, err := x509.MarshalPKCS8PrivateKey(id.Cert.PrivateKey)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	var buf bytes.Buffer
	_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: id.Cert.Certificate[0]})
	_ = pem.Encode(&buf, &pem.Block{Type: "PRIVATE KEY", Bytes: key})
	if err := fsutil.WriteBytesAtomic(path, 0o600, buf.Bytes()); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	return nil
}

// Load reads an identity saved by Save. It refuses files readable by group
// or others, since they hold a private key.
func Load(path string) (*Identity, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("identity: %s has mode %o; it holds a private key and must not be readable by others (chmod 600)", path, st.Mode().Perm())
	}
	if st.Size() > maxFileBytes {
		return nil, fmt.Errorf("identity: %s is %d bytes, too large for an identity", path, st.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	return Parse(data)
}

// Parse decodes the PEM written by Save.
func Parse(data []byte) (*Identity, error) {
	var der []byte
	var priv ed25519.PrivateKey
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			if der != nil {
				return nil, errors.New("identity: more than one certificate")
			}
			der = b.Bytes
		case "PRIVATE KEY":
			if priv != nil {
				return nil, errors.New("identity: more than one private key")
			}
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("identity: private key: %w", err)
			}
			p, ok := k.(ed25519.PrivateKey)
			if !ok {
				return nil, errors.New("identity: private key is not Ed25519")
			}
			priv = p
		default:
			return nil, fmt.Errorf("identity: unexpected PEM block %q", b.Type)
		}
	}
	if der == nil || priv == nil {
		return nil, errors.New("identity: need one CERTIFICATE and one PRIVATE KEY block")
	}
	return fromDER(der, priv)
}

// LoadOrCreate loads the identity at path, or creates and saves a new one
// if the file does not exist.
func LoadOrCreate(path string) (*Identity, bool, error) {
	id, err := Load(path)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	if id, err = New(); err != nil {
		return nil, false, err
	}
	if err := id.Save(path); err != nil {
		return nil, false, err
	}
	return id, true, nil
}
