package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/wire"
)

// Options configures a Client.
type Options struct {
	// Pin is A's certificate fingerprint (hex SHA-256 of its DER). Required.
	Pin string
	// Identity is presented as B's client certificate; nil means a fresh
	// ephemeral identity for this Client (A binds sessions to it).
	Identity *identity.Identity
	// DialTimeout bounds connecting and the TLS handshake.
	DialTimeout time.Duration
	// CallTimeout bounds one request and its response (a fetch: each chunk).
	CallTimeout time.Duration
	// MaxFrame bounds a response frame (0: DefaultMaxFrame).
	MaxFrame uint32
}

// Defaults.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultCallTimeout = 60 * time.Second
	DefaultMaxFrame    = 64 << 20
)

// Client is a connection to party A. Requests are serialized over one TLS
// connection; after an I/O failure the next request redials, and
// idempotent requests are retried once on a fresh connection.
type Client struct {
	addr string
	opts Options
	tls  *tls.Config
	id   *identity.Identity

	mu   sync.Mutex
	conn *tls.Conn
}

// Dial connects to A at addr and checks A's pinned identity.
func Dial(ctx context.Context, addr string, opts Options) (*Client, error) {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.MaxFrame == 0 {
		opts.MaxFrame = DefaultMaxFrame
	}
	id := opts.Identity
	if id == nil {
		var err error
		if id, err = identity.New(); err != nil {
			return nil, err
		}
	}
	cfg, err := identity.ClientConfig(opts.Pin, id)
	if err != nil {
		return nil, err
	}
	c := &Client{addr: addr, opts: opts, tls: cfg, id: id}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.connectLocked(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Fingerprint returns B's own client fingerprint (what A binds sessions to).
func (c *Client) Fingerprint() string { return c.id.Fingerprint() }

func (c *Client) connectLocked(ctx context.Context) error {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: c.opts.DialTimeout}, Config: c.tls}
	dctx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
	defer cancel()
	nc, err := d.DialContext(dctx, "tcp", c.addr)
	if err != nil {
		return fmt.Errorf("client: connect to A at %s: %w", c.addr, err)
	}
	c.conn = nc.(*tls.Conn)
	return nil
}

// Close closes the connection.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	return err
}

// ErrProtocol marks a response that breaks the protocol (wrong type, wrong
// shape, wrong module or call).
var ErrProtocol = errors.New("client: protocol violation by A")

// roundTrip sends req and reads one response. A wire.ErrorMsg response is
// returned as the error. If retry is set, an I/O failure is retried once
// on a fresh connection.
func (c *Client) roundTrip(ctx context.Context, req wire.Message, retry bool) (wire.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	resp, err := c.exchangeLocked(ctx, req)
	if err != nil && retry && isIOError(err) && ctx.Err() == nil {
		resp, err = c.exchangeLocked(ctx, req)
	}
	return resp, err
}

// ioError marks transport failures (as opposed to A's error responses).
type ioError struct{ err error }

func (e ioError) Error() string { return e.err.Error() }
func (e ioError) Unwrap() error { return e.err }

func isIOError(err error) bool {
	var ie ioError
	return errors.As(err, &ie)
}

func (c *Client) exchangeLocked(ctx context.Context, req wire.Message) (wire.Message, error) {
	if err := c.sendLocked(ctx, req); err != nil {
		return nil, err
	}
	return c.recvLocked(ctx)
}

func (c *Client) deadline(ctx context.Context) time.Time {
	dl := time.Now().Add(c.opts.CallTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	return dl
}

func (c *Client) sendLocked(ctx context.Context, req wire.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.conn == nil {
		if err := c.connectLocked(ctx); err != nil {
			return ioError{err}
		}
	}
	b, err := wire.Marshal(req)
	if err != nil {
		return err
	}
	_ = c.conn.SetDeadline(c.deadline(ctx))
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.conn.Write(b); err != nil {
		c.dropLocked()
		return ioError{fmt.Errorf("client: send %s: %w", req.Type(), err)}
	}
	return nil
}

func (c *Client) recvLocked(ctx context.Context) (wire.Message, error) {
	if c.conn == nil {
		return nil, ioError{errors.New("client: not connected")}
	}
	_ = c.conn.SetDeadline(c.deadline(ctx))
	conn := c.conn
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	f, err := wire.ReadFrame(c.conn, c.opts.MaxFrame)
	if err != nil {
		c.dropLocked()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ioError{fmt.Errorf("client: receive: %w", err)}
	}
	m, err := wire.Decode(f)
	if err != nil {
		c.dropLocked()
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	if em, ok := m.(*wire.ErrorMsg); ok {
		return nil, em
	}
	return m, nil
}

func (c *Client) dropLocked() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

// expect checks a response's type.
func expect[T wire.Message](m wire.Message, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	v, ok := m.(T)
	if !ok {
		return zero, fmt.Errorf("%w: unexpected %s response", ErrProtocol, m.Type())
	}
	return v, nil
}

// ServerError returns A's error response inside err, if there is one.
func ServerError(err error) (*wire.ErrorMsg, bool) {
	var em *wire.ErrorMsg
	if errors.As(err, &em) {
		return em, true
	}
	return nil, false
}
