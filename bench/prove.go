package bench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/prover"
)

// keyCache holds dev keys per shape so that suites share one setup.
type keyCache struct {
	keys  map[circuits.Shape]*prover.Keys
	setup map[circuits.Shape]float64
}

func newKeyCache() *keyCache {
	return &keyCache{keys: map[circuits.Shape]*prover.Keys{}, setup: map[circuits.Shape]float64{}}
}

// Keys returns the dev keys of shape s, running DevSetup once per shape.
// It makes keyCache a session.KeySource.
func (c *keyCache) Keys(s circuits.Shape) (*prover.Keys, error) {
	if k, ok := c.keys[s]; ok {
		return k, nil
	}
	t0 := time.Now()
	k, err := prover.DevSetup(s)
	if err != nil {
		return nil, err
	}
	c.keys[s], c.setup[s] = k, time.Since(t0).Seconds()
	return k, nil
}

func randInt16(rng *rand.Rand, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(rng.Uint32())
	}
	return out
}

// sessionInput is one module's weights and a T-row session folded into a
// statement.
type sessionInput struct {
	A, B       []int16
	St         circuits.Statement
	Salt       prover.Salt
	StatementS float64
}

func newSessionInput(s circuits.Shape, T int, seed uint64) (*sessionInput, error) {
	rng := rand.New(rand.NewPCG(seed, 0x7365737369))
	in := &sessionInput{A: randInt16(rng, s.D*s.R), B: randInt16(rng, s.R*s.O)}
	X := randInt16(rng, T*s.D)
	Z, err := circuits.MatMulExact(s, X, in.A, in.B)
	if err != nil {
		return nil, err
	}
	ch := randScalars(2, seed)
	t0 := time.Now()
	if in.St, err = circuits.ComputeStatement(s, X, Z, ch[0], ch[1]); err != nil {
		return nil, err
	}
	in.StatementS = time.Since(t0).Seconds()
	if in.Salt, err = prover.NewSalt(); err != nil {
		return nil, err
	}
	return in, nil
}

// proveSessionRow measures one session proof of module m at T rows.
func proveSessionRow(backend string, kc *keyCache, m Module, T int) ProveRow {
	row := ProveRow{Backend: backend, Circuit: "session", Model: m.Model, Module: m.Module,
		Shape: m.Shape.String(), Params: m.Params(), Tokens: T, KeyMode: "dev"}
	if backend == GPU {
		row.Status = unavailable(fmt.Errorf("no GPU Groth16 prover in this build: %w", errGPUProver))
		return row
	}
	keys, err := kc.Keys(m.Shape)
	if err != nil {
		row.Status = "error: " + err.Error()
		return row
	}
	pk := keys.PK.(*groth16bn254.ProvingKey)
	row.SetupS = kc.setup[m.Shape]
	row.Constraints, row.PublicIn, row.Domain = keys.CS.GetNbConstraints(), keys.CS.GetNbPublicVariables(), int(pk.Domain.Cardinality)
	in, err := newSessionInput(m.Shape, T, uint64(T)*31+uint64(m.Params()))
	if err != nil {
		row.Status = "error: " + err.Error()
		return row
	}
	row.StatementS = in.StatementS
	var proof *prover.Proof
	rss := startRSS()
	cpu0 := cpuSeconds()
	tm, err := measure(proveReps, proveBudget, func() (err error) {
		proof, err = prover.Prove(keys, in.St, in.A, in.B, in.Salt)
		return err
	})
	row.PeakRSSMiB = rss.Stop()
	row.ProveS, row.ProveMinS, row.ProveReps = tm.Median, tm.Min, tm.N
	if tm.N > 0 {
		row.ProveCPUS = (cpuSeconds() - cpu0) / float64(tm.N)
	}
	if err != nil {
		row.Status = "error: " + err.Error()
		return row
	}
	b, err := proof.MarshalBinary()
	if err != nil {
		row.Status = "error: " + err.Error()
		return row
	}
	row.ProofBytes = len(b)
	sec, _, err := timeIt(5, time.Second, func() error { return prover.Verify(keys.VK, in.St, proof.Commitment(), proof) })
	if err != nil {
		row.Status = "error: verify: " + err.Error()
		return row
	}
	row.VerifyS = sec
	row.Limit = measureLimit(backend, pk, row.ProveMinS)
	row.Status = statusOK
	return row
}

// Repetitions of each timed session proof: the rows report the median and
// the fastest run (the least disturbed by other processes on a shared
// machine).
const (
	proveReps   = 5
	proveBudget = 8 * time.Second
)

// errGPUProver explains why GPU prove rows are empty.
var errGPUProver = fmt.Errorf("the ICICLE Groth16 prover is not wired in yet (issue 6)")

// naiveCase is the naive per-token circuit of one shape at T rows,
// compiled, keyed and with its witness, ready to prove.
type naiveCase struct {
	row   ProveRow
	cs    *csbn254.R1CS
	pk    *groth16bn254.ProvingKey
	vk    groth16.VerifyingKey // nil under a dummy key
	w     witness.Witness
	proof *groth16bn254.Proof // the last proof
}

// newNaiveCase compiles the naive circuit of module m at T rows and sets
// up its key: gnark's DummySetup key (points randomized; prove time only)
// when dummy is set, a real Groth16 setup otherwise. On failure the
// returned case's row carries the error and ok is false.
func newNaiveCase(backend string, m Module, T int, dummy bool) (c *naiveCase, ok bool) {
	c = &naiveCase{row: ProveRow{Backend: backend, Circuit: "naive", Model: m.Model, Module: m.Module,
		Shape: m.Shape.String(), Params: m.Params(), Tokens: T, KeyMode: "dev"}}
	if dummy {
		c.row.KeyMode = "dummy"
	}
	if backend == GPU {
		c.row.Status = unavailable(fmt.Errorf("no GPU Groth16 prover in this build: %w", errGPUProver))
		return c, false
	}
	fail := func(err error) (*naiveCase, bool) { c.row.Status = "error: " + err.Error(); return c, false }
	s := m.Shape
	t0 := time.Now()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuits.NewNaiveCircuit(s, T))
	if err != nil {
		return fail(err)
	}
	c.cs = ccs.(*csbn254.R1CS)
	c.pk = &groth16bn254.ProvingKey{}
	if dummy {
		if err = groth16bn254.DummySetup(c.cs, c.pk); err == nil {
			randomizeKeyPoints(c.pk)
		}
	} else {
		var pki groth16.ProvingKey
		pki, c.vk, err = groth16.Setup(c.cs)
		if err == nil {
			c.pk = pki.(*groth16bn254.ProvingKey)
		}
	}
	if err != nil {
		return fail(err)
	}
	c.row.SetupS = time.Since(t0).Seconds()
	c.row.Constraints, c.row.PublicIn, c.row.Domain = c.cs.GetNbConstraints(), c.cs.GetNbPublicVariables(), int(c.pk.Domain.Cardinality)
	rng := rand.New(rand.NewPCG(uint64(T), 0x6e61697665))
	A, B, X := randInt16(rng, s.D*s.R), randInt16(rng, s.R*s.O), randInt16(rng, T*s.D)
	Z, err := circuits.MatMulExact(s, X, A, B)
	if err != nil {
		return fail(err)
	}
	asg, err := circuits.NaiveAssignment(s, X, Z, A, B)
	if err != nil {
		return fail(err)
	}
	if c.w, err = frontend.NewWitness(asg, ecc.BN254.ScalarField()); err != nil {
		return fail(err)
	}
	return c, true
}

// prove runs one naive proof and keeps it.
func (c *naiveCase) prove() (err error) {
	c.proof, err = groth16bn254.Prove(c.cs, c.pk, c.w)
	return err
}

// finish fills the row's proof size, verification time (real key only)
// and limit from the last proof, once the timing fields are set.
func (c *naiveCase) finish() ProveRow {
	fail := func(err error) ProveRow { c.row.Status = "error: " + err.Error(); return c.row }
	var err error
	if c.row.ProofBytes, err = compressedSize(c.proof); err != nil {
		return fail(err)
	}
	if c.vk != nil {
		pub, err := c.w.Public()
		if err != nil {
			return fail(err)
		}
		sec, _, err := timeIt(3, time.Second, func() error { return groth16.Verify(c.proof, c.vk, pub) })
		if err != nil {
			return fail(fmt.Errorf("verify: %w", err))
		}
		c.row.VerifyS = sec
	}
	c.row.Limit = measureLimit(c.row.Backend, c.pk, c.row.ProveMinS)
	c.row.Status = statusOK
	return c.row
}

// randomizeKeyPoints replaces the points of a DummySetup key, which are
// all one point, by distinct pseudo-random points. MSMs over one repeated
// point run several times faster than over distinct ones (measured: 3×
// at 2^19 here), so a dummy key would understate the prove time.
func randomizeKeyPoints(pk *groth16bn254.ProvingKey) {
	n := max(len(pk.G1.A), len(pk.G1.B), len(pk.G1.K), len(pk.G1.Z))
	pool := randPoints(n, 11)
	copy(pk.G1.A, pool)
	copy(pk.G1.B, pool)
	copy(pk.G1.K, pool)
	copy(pk.G1.Z, pool)
	_, _, _, g2 := bn254.Generators()
	copy(pk.G2.B, bn254.BatchScalarMultiplicationG2(&g2, randScalars(len(pk.G2.B), 12)))
}

// compressedSize is the proof's size in gnark's compressed encoding.
func compressedSize(p *groth16bn254.Proof) (int, error) {
	var c countWriter
	_, err := p.WriteTo(&c)
	return int(c), err
}

type countWriter int64

func (c *countWriter) Write(b []byte) (int, error) { *c += countWriter(len(b)); return len(b), nil }

// limitReps is how many times the limit's kernels run (the fastest counts).
const limitReps = 2

// measureLimit times the MSMs and FFTs of a proof under pk alone on
// backend: G1 MSMs over A, B, K and Z (and the commitment keys' bases),
// the G2 MSM over B, and gnark's seven FFTs of the domain size (three
// inverse, three coset forward, one coset inverse). It returns nil where
// the backend cannot run them.
func measureLimit(backend string, pk *groth16bn254.ProvingKey, proveS float64) *Limit {
	l := &Limit{FFTN: int(pk.Domain.Cardinality), FFTs: 7}
	g1 := [][]bn254.G1Affine{pk.G1.A, pk.G1.B, pk.G1.K, pk.G1.Z}
	for _, ck := range pk.CommitmentKeys {
		g1 = append(g1, ck.Basis, ck.BasisExpSigma)
	}
	maxN := len(pk.G2.B)
	for _, p := range g1 {
		maxN = max(maxN, len(p))
	}
	sc := randScalars(max(maxN, l.FFTN), 7)
	for _, p := range g1 {
		l.MSMG1 = append(l.MSMG1, len(p))
	}
	l.MSMG2 = len(pk.G2.B)
	msm, err := measure(limitReps, 0, func() error {
		for _, p := range g1 {
			if len(p) == 0 {
				continue
			}
			if err := msmG1(backend, p, sc[:len(p)]); err != nil {
				return err
			}
		}
		return msmG2(backend, pk.G2.B, sc[:len(pk.G2.B)])
	})
	if err != nil {
		return nil
	}
	d := fft.NewDomain(uint64(l.FFTN))
	v := make([]fr.Element, l.FFTN)
	copy(v, sc)
	ffts, err := measure(limitReps, 0, func() error {
		for i := 0; i < 3; i++ {
			if err := ntt(backend, d, v, true, false); err != nil {
				return err
			}
		}
		for i := 0; i < 3; i++ {
			if err := ntt(backend, d, v, false, true); err != nil {
				return err
			}
		}
		return ntt(backend, d, v, true, true)
	})
	if err != nil {
		return nil
	}
	l.MSMS, l.FFTS = msm.Min, ffts.Min
	if k := l.MSMS + l.FFTS; k > 0 {
		l.Ratio = proveS / k
	}
	return l
}
