package server

import (
	"crypto/tls"
	"io"
	"net"
	"runtime/debug"
	"time"

	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/wire"
)

// client is who is on the other end of a connection.
type client struct {
	// owner is the identity sessions are bound to: the certificate
	// fingerprint when B presented one, else the remote address.
	owner string
	// budgetKeys are the identities row budgets are counted under.
	budgetKeys []string
	remote     string
}

func clientOf(tc *tls.Conn) client {
	host := hostOf(tc.RemoteAddr())
	cl := client{remote: tc.RemoteAddr().String(), owner: "ip:" + host, budgetKeys: []string{"ip:" + host}}
	if fp := identity.PeerFingerprint(tc.ConnectionState()); fp != "" {
		cl.owner = "id:" + fp
		cl.budgetKeys = append(cl.budgetKeys, cl.owner)
	}
	return cl
}

// conn is one client connection.
type conn struct {
	s  *LoRAServer
	tc *tls.Conn
	cl client
	// cer is the key ceremony running on this connection, if any.
	cer *ceremonyConn
}

func (s *LoRAServer) handleConn(raw net.Conn) {
	defer s.wg.Done()
	defer s.untrackConn(raw)
	defer raw.Close()
	defer func() {
		// No input is meant to reach a panic; if one does, it costs this
		// connection only, never the server and its other sessions.
		if r := recover(); r != nil {
			s.cfg.Logger.Error("panic serving a connection", "remote", raw.RemoteAddr(), "panic", r, "stack", string(debug.Stack()))
		}
	}()
	_ = raw.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	tc := tls.Server(raw, s.tlsConf)
	if err := tc.HandshakeContext(s.ctx); err != nil {
		s.cfg.Logger.Debug("handshake failed", "remote", raw.RemoteAddr(), "err", err)
		return
	}
	_ = raw.SetDeadline(time.Time{})
	c := &conn{s: s, tc: tc, cl: clientOf(tc)}
	defer func() { c.cer.release(s) }()
	for {
		if !c.serveOne() {
			return
		}
	}
}

// send writes one message under the write deadline.
func (c *conn) send(m wire.Message) error {
	b, err := wire.Marshal(m)
	if err != nil {
		// A response that does not encode is a server bug; say so.
		c.s.cfg.Logger.Error("encode response", "type", m.Type(), "err", err)
		if b, err = wire.Marshal(wire.Errorf(wire.CodeInternal, "response could not be encoded")); err != nil {
			return err
		}
	}
	_ = c.tc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	_, err = c.tc.Write(b)
	return err
}

// serveOne reads one request and answers it; false closes the connection.
func (c *conn) serveOne() bool {
	s := c.s
	_ = c.tc.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
	var hdr [wire.HeaderSize]byte
	if _, err := io.ReadFull(c.tc, hdr[:]); err != nil {
		return false
	}
	h, err := wire.ParseHeader(hdr, s.maxFrame)
	if err != nil {
		// Framing is lost or the peer is hostile: say why, then hang up.
		_ = c.send(wire.Errorf(wire.CodeBadRequest, "%v", err))
		return false
	}
	if !s.reserveBuffer(int64(h.Length)) {
		_ = c.send(wire.Errorf(wire.CodeBusy, "server memory for requests is exhausted; retry later"))
		return false
	}
	defer s.releaseBuffer(int64(h.Length))
	payload := make([]byte, h.Length)
	_ = c.tc.SetReadDeadline(time.Now().Add(s.cfg.ReadTimeout))
	if _, err := io.ReadFull(c.tc, payload); err != nil {
		return false
	}
	msg, err := wire.Decode(wire.Frame{Type: h.Type, Payload: payload})
	if err != nil {
		// The frame was read whole, so the stream is still in sync.
		return c.send(wire.Errorf(wire.CodeBadRequest, "%v", err)) == nil
	}
	payload = nil
	switch m := msg.(type) {
	case *wire.InitRequest:
		return c.send(s.handleInit(c.cl, m)) == nil
	case *wire.ForwardRequest:
		return c.send(s.handleForward(c.cl, m)) == nil
	case *wire.EndRequest:
		return c.send(s.handleEnd(c.cl, m)) == nil
	case *wire.StatusRequest:
		return c.send(s.handleStatus(c.cl, m)) == nil
	case *wire.FetchRequest:
		return c.fetch(m) == nil
	case *wire.CeremonyRequest:
		return c.ceremony(m)
	default:
		return c.send(wire.Errorf(wire.CodeBadRequest, "%s is not a request", h.Type)) == nil
	}
}

func (s *LoRAServer) reserveBuffer(n int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buffered+n > s.cfg.MaxBufferedBytes {
		return false
	}
	s.buffered += n
	return true
}

func (s *LoRAServer) releaseBuffer(n int64) {
	s.mu.Lock()
	s.buffered -= n
	s.mu.Unlock()
}
