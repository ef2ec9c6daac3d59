package jobs

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// EmbeddedOptions configures an embedded NATS server with JetStream.
type EmbeddedOptions struct {
	// StoreDir holds JetStream's files; tasks and results survive a
	// restart on the same directory. Required.
	StoreDir string
	// Listen is "host:port" for workers on other hosts ("host:0" picks a
	// port). Empty: no listener, only in-process connections.
	Listen string
	// Token is required from every client connecting through Listen.
	// Required when Listen is set.
	Token string
	// MaxPayload is the largest message (default 8 MiB, enough for the
	// task of any shape the circuits accept).
	MaxPayload int32
}

// Embedded is a NATS server with JetStream running in this process.
type Embedded struct {
	srv   *server.Server
	token string
}

// StartEmbedded starts a NATS server with JetStream storing under
// opts.StoreDir, and waits until it accepts connections.
func StartEmbedded(opts EmbeddedOptions) (*Embedded, error) {
	if opts.StoreDir == "" {
		return nil, errors.New("jobs: the embedded NATS server needs a store directory")
	}
	o := &server.Options{
		ServerName: "zklora-embedded",
		JetStream:  true,
		StoreDir:   opts.StoreDir,
		MaxPayload: opts.MaxPayload,
		NoSigs:     true,
		NoLog:      true,
		DontListen: opts.Listen == "",
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = 8 << 20
	}
	if opts.Listen != "" {
		if opts.Token == "" {
			return nil, errors.New("jobs: an embedded NATS server that listens needs a token")
		}
		host, port, err := net.SplitHostPort(opts.Listen)
		if err != nil {
			return nil, fmt.Errorf("jobs: listen address %q: %w", opts.Listen, err)
		}
		if o.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("jobs: listen address %q: bad port", opts.Listen)
		}
		if o.Port == 0 {
			o.Port = server.RANDOM_PORT
		}
		o.Host, o.Authorization = host, opts.Token
	}
	s, err := server.NewServer(o)
	if err != nil {
		return nil, fmt.Errorf("jobs: embedded NATS server: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, errors.New("jobs: the embedded NATS server did not start")
	}
	return &Embedded{srv: s, token: opts.Token}, nil
}

// Connect opens an in-process connection (no socket).
func (e *Embedded) Connect(name string) (*nats.Conn, error) {
	opts := []nats.Option{nats.InProcessServer(e.srv), nats.Name(name), nats.MaxReconnects(-1)}
	if e.token != "" {
		opts = append(opts, nats.Token(e.token))
	}
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("jobs: connect to the embedded NATS server: %w", err)
	}
	return nc, nil
}

// Addr returns the address workers connect to ("" when not listening).
func (e *Embedded) Addr() string {
	if a, ok := e.srv.Addr().(*net.TCPAddr); ok && a != nil {
		return a.String()
	}
	return ""
}

// Shutdown stops the server; JetStream's files stay in StoreDir.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}

// ConnectOptions are the credentials for Connect; at most one of Token and
// CredsFile.
type ConnectOptions struct {
	Name      string // shown in the server's connection list
	Token     string // the embedded server's token
	CredsFile string // a NATS user credentials file (JWT and seed)
	CAFile    string // PEM roots for a tls:// server with a private CA
}

// Connect connects to a NATS server or cluster by URL (nats://host:port,
// tls://…, or several separated by commas), reconnecting forever.
func Connect(url string, o ConnectOptions) (*nats.Conn, error) {
	if o.Token != "" && o.CredsFile != "" {
		return nil, errors.New("jobs: give a token or a credentials file, not both")
	}
	opts := []nats.Option{nats.Name(o.Name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second)}
	if o.Token != "" {
		opts = append(opts, nats.Token(o.Token))
	}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.CAFile != "" {
		opts = append(opts, nats.RootCAs(o.CAFile))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("jobs: connect to %s: %w", url, err)
	}
	return nc, nil
}
