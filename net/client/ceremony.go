package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/ceremony"
	"github.com/zklora/zklora/engine/prover"
	"github.com/zklora/zklora/net/wire"
)

// CeremonyOptions tunes RunCeremony.
type CeremonyOptions struct {
	// StepTimeout bounds one of A's ceremony steps (A computes before it
	// answers); 0 means DefaultCeremonyStepTimeout.
	StepTimeout time.Duration
	// Progress, if set, is told each step as it starts.
	Progress func(step string)
}

// DefaultCeremonyStepTimeout bounds one of A's ceremony steps.
const DefaultCeremonyStepTimeout = 30 * time.Minute

// keepAliveEvery is how often B pings A while B computes, so that A's idle
// timeout does not close the connection (and the ceremony) meanwhile.
const keepAliveEvery = 20 * time.Second

// RunCeremony runs the two-party key ceremony of shape with A (DESIGN §3)
// over the connection, as B: A contributes first to each phase, B
// verifies every step of A's and contributes last, so the keys are sound
// for B if B's own randomness is, and zero knowledge holds for A if A's
// is. It returns the final transcript, verified by B (every contribution,
// the initial phase-2 state and the keys), and the keys it determines; A
// has stored the same keys and announces them in new sessions.
func (c *Client) RunCeremony(ctx context.Context, shape circuits.Shape, opts CeremonyOptions) (*ceremony.Transcript, *prover.Keys, error) {
	if opts.StepTimeout <= 0 {
		opts.StepTimeout = DefaultCeremonyStepTimeout
	}
	say := func(s string) {
		if opts.Progress != nil {
			opts.Progress(s)
		}
	}
	say("A contributes to phase 1")
	t, err := c.ceremonyStep(ctx, &wire.CeremonyRequest{Op: wire.CeremonyStart, D: uint32(shape.D), R: uint32(shape.R), O: uint32(shape.O)}, opts)
	if err != nil {
		return nil, nil, err
	}
	if t.Shape != shape || t.Phase != ceremony.Phase1 || len(t.Phase1) != 1 {
		return nil, nil, fmt.Errorf("%w: A's first ceremony transcript is not one phase-1 contribution for %s", ErrProtocol, shape)
	}
	var b *ceremony.Party
	say("B verifies and contributes to phase 1")
	err = c.whileComputing(ctx, func() error {
		if b, err = ceremony.JoinParty(t); err != nil {
			return err
		}
		_, err := b.Contribute()
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	say("A verifies, starts phase 2 and contributes")
	if t, err = c.putAndStep(ctx, b.Transcript(), wire.CeremonyPhase2, opts); err != nil {
		return nil, nil, err
	}
	if t.Phase != ceremony.Phase2 || len(t.Phase2) != 1 {
		return nil, nil, fmt.Errorf("%w: A's phase-2 transcript does not hold exactly A's contribution", ErrProtocol)
	}
	say("B verifies and contributes to phase 2")
	err = c.whileComputing(ctx, func() error {
		if err := b.Accept(t); err != nil {
			return err
		}
		_, err := b.Contribute()
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	say("A verifies and finalizes")
	if t, err = c.putAndStep(ctx, b.Transcript(), wire.CeremonyFinish, opts); err != nil {
		return nil, nil, err
	}
	say("B verifies the keys")
	if err := c.whileComputing(ctx, func() error { return b.Accept(t) }); err != nil {
		return nil, nil, err
	}
	if b.Keys() == nil {
		return nil, nil, fmt.Errorf("%w: A's last ceremony transcript is not final", ErrProtocol)
	}
	return b.Transcript(), b.Keys(), nil
}

// putAndStep uploads B's transcript and asks A for the step op.
func (c *Client) putAndStep(ctx context.Context, t *ceremony.Transcript, op uint8, opts CeremonyOptions) (*ceremony.Transcript, error) {
	data, err := t.Encode()
	if err != nil {
		return nil, err
	}
	total := uint64(len(data))
	for off := uint64(0); off < total; {
		n := min(total-off, wire.MaxChunk)
		if _, err := expect[*wire.CeremonyResponse](c.roundTrip(ctx, &wire.CeremonyRequest{Op: wire.CeremonyPut, Offset: off, Total: total, Data: data[off : off+n]}, false)); err != nil {
			return nil, err
		}
		off += n
	}
	return c.ceremonyStep(ctx, &wire.CeremonyRequest{Op: op}, opts)
}

// ceremonyStep asks A for one step, waiting up to the step timeout, and
// downloads A's resulting transcript.
func (c *Client) ceremonyStep(ctx context.Context, req *wire.CeremonyRequest, opts CeremonyOptions) (*ceremony.Transcript, error) {
	c.mu.Lock()
	saved := c.opts.CallTimeout
	c.opts.CallTimeout = opts.StepTimeout
	m, err := c.exchangeLocked(ctx, req)
	c.opts.CallTimeout = saved
	c.mu.Unlock()
	resp, err := expect[*wire.CeremonyResponse](m, err)
	if err != nil {
		return nil, err
	}
	return c.download(ctx, resp)
}

// download fetches A's current transcript in chunks and checks it against
// the size and hash A announced.
func (c *Client) download(ctx context.Context, head *wire.CeremonyResponse) (*ceremony.Transcript, error) {
	if head.Total > wire.MaxCeremonyTranscript || head.Total == 0 {
		return nil, fmt.Errorf("%w: ceremony transcript of %d bytes", ErrProtocol, head.Total)
	}
	// Memory grows with the bytes A actually sends, not with its claim.
	buf := make([]byte, 0, min(head.Total, 64<<20))
	for uint64(len(buf)) < head.Total {
		r, err := expect[*wire.CeremonyResponse](c.roundTrip(ctx, &wire.CeremonyRequest{Op: wire.CeremonyGet, Offset: uint64(len(buf))}, false))
		if err != nil {
			return nil, err
		}
		if r.Offset != uint64(len(buf)) || r.Total != head.Total || !bytes.Equal(r.Hash, head.Hash) || len(r.Data) == 0 {
			return nil, fmt.Errorf("%w: ceremony chunk out of order or from another transcript", ErrProtocol)
		}
		buf = append(buf, r.Data...)
	}
	if h := sha256.Sum256(buf); !bytes.Equal(h[:], head.Hash) {
		return nil, fmt.Errorf("%w: ceremony transcript does not match the hash A announced", ErrProtocol)
	}
	t, err := ceremony.Decode(buf)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	return t, nil
}

// whileComputing runs f, pinging A meanwhile so that the connection (and
// A's half of the ceremony) stays open.
func (c *Client) whileComputing(ctx context.Context, f func() error) error {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(keepAliveEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				_, _ = c.roundTrip(ctx, &wire.CeremonyRequest{Op: wire.CeremonyGet}, false)
			}
		}
	}()
	err := f()
	close(stop)
	wg.Wait()
	return err
}
