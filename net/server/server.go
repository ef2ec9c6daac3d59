package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/wire"
)

// ErrServerClosed is returned by Serve and Start after Shutdown.
var ErrServerClosed = errors.New("server: closed")

// LoRAServer is party A: it serves one committed adapter to many concurrent
// sessions. Build it with New; it is safe for concurrent use.
type LoRAServer struct {
	cfg      Config
	id       *identity.Identity
	tlsConf  *tls.Config
	modules  map[string]*Module
	shapes   map[string]circuits.Shape
	info     []wire.ModuleInfo
	trMods   []transcript.Module
	maxFrame uint32
	trLimits transcript.Limits

	ctx    context.Context // cancelled by Shutdown: stops proving
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// proveSem bounds concurrent proofs.
	proveSem chan struct{}
	// loadSem bounds the session records loaded at once by end_inference.
	loadSem chan struct{}
	// ceremonySem is the slot of the one key ceremony run at a time.
	ceremonySem chan struct{}

	mu           sync.Mutex
	closing      bool
	listeners    map[net.Listener]struct{}
	firstAddr    net.Addr
	conns        map[net.Conn]struct{}
	connsByHost  map[string]int
	sessions     map[string]*session
	live         int
	liveByClient map[string]int
	clientRows   map[string]map[string]int64 // budget key → module → rows
	inFlight     int
	buffered     int64
}

// New builds a server from cfg, loads every session recorded under
// cfg.OutDir and resumes proving the ended, unproven ones.
func New(cfg Config) (*LoRAServer, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	id := c.Identity
	if id == nil {
		var err error
		if id, err = identity.New(); err != nil {
			return nil, err
		}
	}
	s := &LoRAServer{
		cfg:          c,
		id:           id,
		tlsConf:      identity.ServerConfig(id),
		modules:      make(map[string]*Module, len(c.Modules)),
		shapes:       make(map[string]circuits.Shape, len(c.Modules)),
		maxFrame:     c.maxFrame(),
		proveSem:     make(chan struct{}, c.ProveWorkers),
		loadSem:      make(chan struct{}, 2),
		ceremonySem:  make(chan struct{}, 1),
		listeners:    map[net.Listener]struct{}{},
		conns:        map[net.Conn]struct{}{},
		connsByHost:  map[string]int{},
		sessions:     map[string]*session{},
		liveByClient: map[string]int{},
		clientRows:   map[string]map[string]int64{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	maxRows := int64(transcript.DefaultMaxRows)
	for i := range c.Modules {
		m := &c.Modules[i]
		s.modules[m.Name] = m
		s.shapes[m.Name] = m.Shape
		s.info = append(s.info, wire.ModuleInfo{
			Name: m.Name, D: m.Shape.D, R: m.Shape.R, O: m.Shape.O,
			ScaleA: int32(m.ShiftA), ScaleB: int32(m.ShiftB), Scaling: m.Scaling,
			Commitment: m.Commitment, CircuitID: m.CircuitID,
			VKFingerprint: m.VKFingerprint, KeyMode: m.KeyMode,
		})
		s.trMods = append(s.trMods, transcript.Module{
			Name: m.Name, Shape: m.Shape, Commitment: m.Commitment,
			VKFingerprint: m.VKFingerprint, KeyMode: m.KeyMode,
		})
	}
	if c.RowBudget > 0 {
		maxRows = max(maxRows, c.RowBudget*int64(len(c.Modules)))
	}
	s.trLimits = transcript.Limits{MaxRows: maxRows, MaxValues: transcript.DefaultMaxValues}
	if _, err := transcript.New("check", s.trMods); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if err := s.recover(); err != nil {
		s.cancel()
		return nil, err
	}
	return s, nil
}

// Fingerprint returns the fingerprint B must pin.
func (s *LoRAServer) Fingerprint() string { return s.id.Fingerprint() }

// MaxFrame returns the largest request frame the server accepts.
func (s *LoRAServer) MaxFrame() uint32 { return s.maxFrame }

// Start listens on addr (for example "127.0.0.1:0") and serves in the
// background. Addr reports the bound address once Start returns.
func (s *LoRAServer) Start(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if err := s.trackListener(l); err != nil {
		l.Close()
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.serve(l); err != nil && !errors.Is(err, ErrServerClosed) {
			s.cfg.Logger.Error("serve", "err", err)
		}
	}()
	return nil
}

// Serve accepts connections on l until Shutdown (returning
// ErrServerClosed) or a permanent accept error. Each connection is
// upgraded to TLS 1.3 with A's identity.
func (s *LoRAServer) Serve(l net.Listener) error {
	if err := s.trackListener(l); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	return s.serve(l)
}

// Addr returns the address of the first listener, or nil.
func (s *LoRAServer) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstAddr
}

func (s *LoRAServer) trackListener(l net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	if s.firstAddr == nil {
		s.firstAddr = l.Addr()
	}
	return nil
}

func (s *LoRAServer) serve(l net.Listener) error {
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()
	var backoff time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if !s.trackConn(c) {
			c.Close()
			continue
		}
		go s.handleConn(c)
	}
}

// trackConn registers c and its goroutine; false if over a cap or closing.
func (s *LoRAServer) trackConn(c net.Conn) bool {
	host := hostOf(c.RemoteAddr())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || len(s.conns) >= s.cfg.MaxConns || s.connsByHost[host] >= s.cfg.MaxConnsPerHost {
		return false
	}
	s.conns[c] = struct{}{}
	s.connsByHost[host]++
	s.wg.Add(1)
	return true
}

func (s *LoRAServer) untrackConn(c net.Conn) {
	host := hostOf(c.RemoteAddr())
	s.mu.Lock()
	delete(s.conns, c)
	if s.connsByHost[host]--; s.connsByHost[host] <= 0 {
		delete(s.connsByHost, host)
	}
	s.mu.Unlock()
}

// hostOf is the address without its port.
func hostOf(a net.Addr) string {
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// Shutdown stops the server: it closes the listeners and every connection,
// cancels proving (an interrupted proof resumes on the next New over the
// same OutDir), and waits for every goroutine it started or for ctx.
func (s *LoRAServer) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.cancel()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	sessions := make([]*session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	var first error
	for _, ss := range sessions {
		ss.mu.Lock()
		if err := ss.log.close(); err != nil && first == nil {
			first = err
		}
		ss.log = nil
		ss.mu.Unlock()
	}
	return first
}

// goTracked runs f in a goroutine that Shutdown waits for; false if closing.
func (s *LoRAServer) goTracked(f func()) bool {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return false
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}
