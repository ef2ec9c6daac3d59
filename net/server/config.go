package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/quant"
	"github.com/zklora/zklora/engine/transcript"
	"github.com/zklora/zklora/net/identity"
	"github.com/zklora/zklora/net/wire"
)

// Module is one injection point A serves: its public announcement and the
// secret quantized weights used to answer (circuits layout: A d×r, B r×o).
type Module struct {
	Name          string
	Shape         circuits.Shape
	A, B          []int16 // secret
	ShiftA        int     // sA: the float lora_Aᵀ is A·2^-sA
	ShiftB        int     // sB
	Scaling       float64 // lora_alpha/r (or /√r)
	Commitment    []byte  // the adapter commitment announced at init
	CircuitID     string
	VKFingerprint string
	KeyMode       string
}

// ProveFunc proves one ended session: A's transcript tr (nonce set) into
// the artifact directory dir. It reports progress through progress and
// must return promptly when ctx is cancelled. engine/session.ProveSession
// wrapped with A's secrets and keys is the usual implementation.
type ProveFunc func(ctx context.Context, dir string, tr *transcript.Transcript, progress func(done, total int, module string)) error

// Config configures a LoRAServer. Zero values of the limits mean their
// defaults.
type Config struct {
	// Identity is A's TLS identity. Nil means a fresh ephemeral one; read
	// its fingerprint with LoRAServer.Fingerprint.
	Identity *identity.Identity
	// Modules is the committed adapter. Required.
	Modules []Module
	// Prove proves ended sessions. Required.
	Prove ProveFunc
	// OutDir holds the session logs and artifacts. Required.
	OutDir string

	// RowBudget is the most rows of each module one session may send
	// (0: DefaultRowBudget; negative: no per-session budget).
	RowBudget int64
	// ClientRowBudget is the most rows of each module one client (TLS
	// identity, and separately remote address) may send over all its
	// sessions (0: no per-client budget).
	ClientRowBudget int64
	// MaxRowsPerCall bounds the rows of one lora_forward.
	MaxRowsPerCall int

	MaxConns              int
	MaxConnsPerHost       int // connections from one remote address
	MaxSessions           int // live (not yet ended) sessions
	MaxSessionsPerClient  int // live sessions per client
	MaxInFlight           int // lora_forward calls being answered, in all
	MaxInFlightPerSession int
	// MaxBufferedBytes caps the frame payload bytes held in memory by all
	// connections together.
	MaxBufferedBytes int64
	// ProveWorkers is the number of sessions proven at the same time.
	ProveWorkers int

	HandshakeTimeout time.Duration // TLS handshake
	IdleTimeout      time.Duration // waiting for the next request's header
	ReadTimeout      time.Duration // reading one frame once its header arrived
	WriteTimeout     time.Duration // writing one frame
	// SessionIdle: a live session with no call for this long may be
	// evicted when the session cap is reached.
	SessionIdle time.Duration

	// Ceremony, if set, lets B run key ceremonies with A over the
	// connection (see CeremonyConfig).
	Ceremony *CeremonyConfig

	// Logger receives operational logs (nil: discarded).
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultRowBudget             = 1 << 16
	DefaultMaxRowsPerCall        = 1024
	DefaultMaxConns              = 256
	DefaultMaxConnsPerHost       = 32
	DefaultMaxSessions           = 64
	DefaultMaxSessionsPerClient  = 8
	DefaultMaxInFlight           = 64
	DefaultMaxInFlightPerSession = 8
	DefaultMaxBufferedBytes      = 512 << 20
	DefaultProveWorkers          = 1
	DefaultHandshakeTimeout      = 10 * time.Second
	DefaultIdleTimeout           = 2 * time.Minute
	DefaultReadTimeout           = 30 * time.Second
	DefaultWriteTimeout          = 30 * time.Second
	DefaultSessionIdle           = 30 * time.Minute
)

func (c *Config) withDefaults() Config {
	o := *c
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&o.MaxRowsPerCall, DefaultMaxRowsPerCall)
	def(&o.MaxConns, DefaultMaxConns)
	def(&o.MaxConnsPerHost, DefaultMaxConnsPerHost)
	def(&o.MaxSessions, DefaultMaxSessions)
	def(&o.MaxSessionsPerClient, DefaultMaxSessionsPerClient)
	def(&o.MaxInFlight, DefaultMaxInFlight)
	def(&o.MaxInFlightPerSession, DefaultMaxInFlightPerSession)
	def(&o.ProveWorkers, DefaultProveWorkers)
	if o.RowBudget == 0 {
		o.RowBudget = DefaultRowBudget
	}
	if o.MaxBufferedBytes <= 0 {
		o.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	dur := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	dur(&o.HandshakeTimeout, DefaultHandshakeTimeout)
	dur(&o.IdleTimeout, DefaultIdleTimeout)
	dur(&o.ReadTimeout, DefaultReadTimeout)
	dur(&o.WriteTimeout, DefaultWriteTimeout)
	dur(&o.SessionIdle, DefaultSessionIdle)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func (c *Config) validate() error {
	if len(c.Modules) == 0 {
		return errors.New("server: no modules to serve")
	}
	if c.Prove == nil {
		return errors.New("server: no ProveFunc")
	}
	if c.OutDir == "" {
		return errors.New("server: no OutDir")
	}
	if c.MaxRowsPerCall > transcript.MaxCallRows {
		return fmt.Errorf("server: MaxRowsPerCall %d over the transcript's %d", c.MaxRowsPerCall, transcript.MaxCallRows)
	}
	if len(c.Modules) > wire.MaxModules {
		return fmt.Errorf("server: %d modules, at most %d", len(c.Modules), wire.MaxModules)
	}
	seen := map[string]bool{}
	for _, m := range c.Modules {
		if err := m.Shape.Validate(); err != nil {
			return fmt.Errorf("server: module %q: %w", m.Name, err)
		}
		if m.Name == "" || len(m.Name) > transcript.MaxNameLen || seen[m.Name] {
			return fmt.Errorf("server: module name %q empty, too long or repeated", m.Name)
		}
		seen[m.Name] = true
		if len(m.A) != m.Shape.D*m.Shape.R || len(m.B) != m.Shape.R*m.Shape.O {
			return fmt.Errorf("server: module %q: weights do not match shape %s", m.Name, m.Shape)
		}
		for _, sh := range []int{m.ShiftA, m.ShiftB} {
			if sh < quant.MinShift || sh > quant.MaxShift {
				return fmt.Errorf("server: module %q: shift %d outside [%d, %d]", m.Name, sh, quant.MinShift, quant.MaxShift)
			}
		}
		if math.IsNaN(m.Scaling) || math.IsInf(m.Scaling, 0) {
			return fmt.Errorf("server: module %q: scaling %v", m.Name, m.Scaling)
		}
		if len(m.Commitment) == 0 || len(m.Commitment) > wire.MaxCommitmentLen {
			return fmt.Errorf("server: module %q: commitment of %d bytes", m.Name, len(m.Commitment))
		}
	}
	return nil
}

// maxFrame is the largest request frame this configuration can legitimately
// receive: a lora_forward of MaxRowsPerCall rows of the largest module, with
// the replace mode's base output, plus room for names.
func (c *Config) maxFrame() uint32 {
	per := 0
	for _, m := range c.Modules {
		per = max(per, 2*m.Shape.D+4*m.Shape.O)
	}
	n := int64(c.MaxRowsPerCall)*int64(per) + 64<<10
	if c.Ceremony != nil {
		n = max(n, wire.MaxChunk+64<<10) // ceremony transcript chunks
	}
	return uint32(min(n, wire.AbsoluteMaxFrame))
}
