package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/zklora/zklora/engine/gpt2"
	"github.com/zklora/zklora/engine/lora"
	"github.com/zklora/zklora/engine/session"
	"github.com/zklora/zklora/engine/tokenizer"
	"github.com/zklora/zklora/net/wire"
)

// BaseModelClient is party B's whole flow: a GPT-2 base model whose LoRA
// points are answered by A, B's transcript of every exchange, and the
// verification of A's proofs against that transcript.
type BaseModelClient struct {
	c     *Client
	base  *gpt2.Model
	tok   *tokenizer.Tokenizer
	ctx   context.Context
	model *gpt2.Model // base with the remote LoRA hook
	sess  *Session
	q     *lora.Quantized

	mu        sync.Mutex
	callTimes time.Duration // total time spent in lora_forward exchanges
	calls     int
}

// NewBaseModelClient prepares B's side over a connected client. tok may be
// nil (a GPT-2 tokenizer is made on first use).
func NewBaseModelClient(c *Client, base *gpt2.Model, tok *tokenizer.Tokenizer) *BaseModelClient {
	return &BaseModelClient{c: c, base: base, tok: tok}
}

// Session returns the current session (nil before InitAndPatch).
func (b *BaseModelClient) Session() *Session { return b.sess }

// InitAndPatch opens a session in the combine mode ("add_delta" or
// "replace"), checks every module A announced against the base model (a
// Conv1D of the model with the same input and output widths), and patches
// a copy of the model so that each of those modules gets its LoRA
// contribution from A through lora.Quantized, recording every exchange in
// B's transcript. ctx bounds every remote call made by the forward passes.
func (b *BaseModelClient) InitAndPatch(ctx context.Context, combine string) error {
	mode, err := lora.ParseCombineMode(combine)
	if err != nil {
		return err
	}
	s, err := b.c.Init(ctx, combine)
	if err != nil {
		return err
	}
	cfg := b.base.Config()
	widths := map[string][2]int{}
	for i, name := range gpt2.ModuleNames(cfg) {
		d, o := cfg.ModuleShape(i % 4)
		widths[name] = [2]int{d, o}
	}
	points := make([]lora.Point, 0, len(s.Manifest.Modules))
	scales := make(map[string]lora.Scales, len(s.Manifest.Modules))
	for _, m := range s.Manifest.Modules {
		w, ok := widths[m.Name]
		if !ok {
			return fmt.Errorf("client: A announced module %q, which the base model does not have", m.Name)
		}
		if w != [2]int{m.D, m.O} {
			return fmt.Errorf("client: A announced module %s as %dx%d, the base model's is %dx%d", m.Name, m.D, m.O, w[0], w[1])
		}
		points = append(points, lora.Point{Name: m.Name, D: m.D, R: m.R, O: m.O, Scaling: m.Scaling})
		scales[m.Name] = lora.Scales{A: int(m.ScaleA), B: int(m.ScaleB)}
	}
	prov := &remoteProvider{b: b, s: s}
	rec := lora.RecorderFunc(func(module string, call uint32, rows int, X []int16, Z []int64, _ int) error {
		return s.Record(module, call, rows, X, Z)
	})
	q, err := lora.NewQuantized(points, scales, prov, rec, lora.WithMode(mode), lora.WithContext(ctx))
	if err != nil {
		return err
	}
	b.sess, b.q, b.ctx = s, q, ctx
	b.model = b.base.WithHook(q.Hook())
	return nil
}

// ForwardLoss tokenizes text (GPT-2 BPE) and returns the model's mean
// next-token loss with A's LoRA contributions, and the number of tokens.
func (b *BaseModelClient) ForwardLoss(text string) (float64, int, error) {
	if b.model == nil {
		return 0, 0, errors.New("client: ForwardLoss before InitAndPatch")
	}
	if b.tok == nil {
		tok, err := tokenizer.New()
		if err != nil {
			return 0, 0, err
		}
		b.tok = tok
	}
	ids, err := b.tok.Encode(text)
	if err != nil {
		return 0, 0, err
	}
	cfg := b.model.Config()
	for _, id := range ids {
		if id >= cfg.VocabSize {
			return 0, 0, fmt.Errorf("client: token id %d is outside the model's vocabulary of %d", id, cfg.VocabSize)
		}
	}
	if len(ids) > cfg.NPositions {
		return 0, 0, fmt.Errorf("client: %d tokens, the model takes at most %d", len(ids), cfg.NPositions)
	}
	loss, err := b.model.Loss(ids)
	return loss, len(ids), err
}

// LossTokens runs the patched model on token ids directly.
func (b *BaseModelClient) LossTokens(ids []int) (float64, error) {
	if b.model == nil {
		return 0, errors.New("client: LossTokens before InitAndPatch")
	}
	return b.model.Loss(ids)
}

// CallStats returns the number of lora_forward exchanges so far and the
// total time they took, network included.
func (b *BaseModelClient) CallStats() (int, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls, b.callTimes
}

// EndInference sends end_inference with a fresh crypto/rand nonce and
// returns A's proof job id.
func (b *BaseModelClient) EndInference(ctx context.Context) (string, error) {
	if b.sess == nil {
		return "", errors.New("client: EndInference before InitAndPatch")
	}
	return b.sess.End(ctx)
}

// WaitProof polls proof_status until the session is proven.
func (b *BaseModelClient) WaitProof(ctx context.Context, poll time.Duration, progress func(done, total int, module string)) error {
	if b.sess == nil {
		return errors.New("client: WaitProof before InitAndPatch")
	}
	return b.sess.Wait(ctx, poll, progress)
}

// FetchArtifacts downloads the artifact directory into dir.
func (b *BaseModelClient) FetchArtifacts(ctx context.Context, dir string) error {
	if b.sess == nil {
		return errors.New("client: FetchArtifacts before InitAndPatch")
	}
	return b.sess.Fetch(ctx, dir)
}

// Verify checks the artifacts in dir against B's own transcript (see
// VerifySession).
func (b *BaseModelClient) Verify(dir string, opts session.VerifyOptions) (*session.Report, error) {
	if b.sess == nil {
		return nil, errors.New("client: Verify before InitAndPatch")
	}
	return VerifySession(dir, b.sess, opts)
}

// remoteProvider is lora's IntProvider (and OutputProvider) over the
// session. It answers only; B's transcript is written by the Recorder once
// lora accepted the answer.
type remoteProvider struct {
	b *BaseModelClient
	s *Session
}

func (p *remoteProvider) time(start time.Time) {
	p.b.mu.Lock()
	p.b.calls++
	p.b.callTimes += time.Since(start)
	p.b.mu.Unlock()
}

// Forward asks A for Z (add_delta).
func (p *remoteProvider) Forward(ctx context.Context, module string, call uint32, rows int, X []int16) ([]int64, error) {
	defer p.time(time.Now())
	Z, _, err := p.s.Forward(ctx, module, call, rows, X, 0, nil)
	return Z, err
}

// ForwardOutput asks A for the whole output and Z (replace).
func (p *remoteProvider) ForwardOutput(ctx context.Context, module string, call uint32, rows int, X []int16, shiftX int, base []float32) ([]float32, []int64, error) {
	defer p.time(time.Now())
	if p.s.Combine != wire.CombineReplace {
		return nil, nil, errors.New("client: session is not in replace mode")
	}
	Z, out, err := p.s.Forward(ctx, module, call, rows, X, int32(shiftX), base)
	return out, Z, err
}
