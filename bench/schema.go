package bench

// SchemaVersion is the version of the JSON report's layout. It changes
// whenever a field changes meaning or is removed. Version 2: the
// naive/session ratio is the median over alternating proof pairs
// (Baseline); load averages over 1, 5 and 15 minutes.
const SchemaVersion = 2

// Report is the result of one benchmark run.
type Report struct {
	Schema    int         `json:"schema"`
	Started   string      `json:"started"` // RFC 3339, UTC
	Seconds   float64     `json:"seconds"` // wall time of the whole run
	Backend   string      `json:"backend"`
	Scenarios string      `json:"scenarios"` // smoke, quick or full
	Suites    []string    `json:"suites"`
	Machine   Machine     `json:"machine"`
	MSM       []KernelRow `json:"msm,omitempty"`
	NTT       []KernelRow `json:"ntt,omitempty"`
	MatMul    []MatMulRow `json:"matmul,omitempty"`
	Prove     []ProveRow  `json:"prove,omitempty"`
	Verify    []VerifyRow `json:"verify,omitempty"`
	E2E       []E2ERow    `json:"e2e,omitempty"`
	// Baseline is the naive-vs-session comparison of the prove suite.
	Baseline  *Baseline   `json:"baseline,omitempty"`
	Summary   Summary     `json:"summary"`
	Reference []Reference `json:"reference"`
	Skipped   []string    `json:"skipped,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	CPU        string  `json:"cpu"`
	Cores      int     `json:"cores"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	MemoryGiB  float64 `json:"memory_gib,omitempty"`
	GPU        string  `json:"gpu"`
	GPUDriver  string  `json:"gpu_driver"`
	GoVersion  string  `json:"go_version"`
	OS         string  `json:"os"`
	Arch       string  `json:"arch"`
	Commit     string  `json:"commit"`
	Gnark      string  `json:"gnark"`
	// LoadBefore and LoadAfter are the 1-minute load averages when the
	// run started and ended (other processes share the cores).
	LoadBefore float64 `json:"load_before"`
	LoadAfter  float64 `json:"load_after"`
	// LoadAvgBefore and LoadAvgAfter are the 1-, 5- and 15-minute load
	// averages of /proc/loadavg when the run started and ended.
	LoadAvgBefore string `json:"loadavg_before"`
	LoadAvgAfter  string `json:"loadavg_after"`
}

// KernelRow is one MSM or NTT measurement.
type KernelRow struct {
	Backend string  `json:"backend"`
	LogN    int     `json:"log_n"`
	N       int     `json:"n"`
	Seconds float64 `json:"seconds,omitempty"` // median over Reps
	Reps    int     `json:"reps,omitempty"`
	// PerSecond is points (MSM) or elements (NTT) per second.
	PerSecond float64 `json:"per_second,omitempty"`
	Status    string  `json:"status"` // "ok" or why there is no figure
}

// MatMulRow is one exact LoRA product measurement (circuits.MatMulExact).
type MatMulRow struct {
	Backend string  `json:"backend"`
	Model   string  `json:"model"`
	Module  string  `json:"module"`
	Shape   string  `json:"shape"`
	Tokens  int     `json:"tokens"`
	Seconds float64 `json:"seconds,omitempty"`
	GMACs   float64 `json:"gmac_per_s,omitempty"`
	Status  string  `json:"status"`
}

// ProveRow is one proof measurement.
type ProveRow struct {
	Backend     string  `json:"backend"`
	Circuit     string  `json:"circuit"` // "session" or "naive"
	Model       string  `json:"model"`
	Module      string  `json:"module"`
	Shape       string  `json:"shape"`
	Params      int     `json:"params"` // d·r + r·o
	Tokens      int     `json:"tokens"`
	KeyMode     string  `json:"key_mode"` // dev, or dummy (random key: prove time only)
	Constraints int     `json:"constraints"`
	PublicIn    int     `json:"public_inputs"`
	Domain      int     `json:"domain"`
	ProofBytes  int     `json:"proof_bytes,omitempty"`
	SetupS      float64 `json:"setup_s,omitempty"`     // compile + key generation
	StatementS  float64 `json:"statement_s,omitempty"` // folding the T rows into the statement
	ProveS      float64 `json:"prove_s,omitempty"`     // median of ProveReps runs
	ProveMinS   float64 `json:"prove_min_s,omitempty"` // fastest run
	ProveReps   int     `json:"prove_reps,omitempty"`
	// ProveCPUS is the process's CPU time (user+system, all threads) per
	// proof: less sensitive than wall time to other processes' load.
	ProveCPUS  float64 `json:"prove_cpu_s,omitempty"`
	VerifyS    float64 `json:"verify_s,omitempty"`
	PeakRSSMiB float64 `json:"peak_rss_mib,omitempty"` // highest VmRSS sampled while proving
	Limit      *Limit  `json:"limit,omitempty"`
	Status     string  `json:"status"`
}

// Limit is the machine's limit for one proof: its MSMs and FFTs, sizes
// from the proving key, run alone on the same backend.
type Limit struct {
	MSMG1 []int   `json:"msm_g1_sizes"` // A, B1, K, Z (and commitment keys)
	MSMG2 int     `json:"msm_g2_size"`
	FFTN  int     `json:"fft_n"`
	FFTs  int     `json:"ffts"` // 3 inverse + 3 coset forward + 1 coset inverse
	MSMS  float64 `json:"msm_s"`
	FFTS  float64 `json:"fft_s"`
	// Ratio is prove_min_s / (msm_s + fft_s), each the fastest of its
	// runs; 1 means the proof costs no more than its kernels.
	Ratio float64 `json:"ratio"`
}

// VerifyRow is one verification measurement: N proofs of one shape,
// verified one by one and in one batch.
type VerifyRow struct {
	Backend       string  `json:"backend"`
	Shape         string  `json:"shape"`
	Proofs        int     `json:"proofs"`
	SingleS       float64 `json:"single_s"` // median time of one Verify
	BatchS        float64 `json:"batch_s"`  // one BatchVerify of all N
	BatchPerProof float64 `json:"batch_per_proof_s"`
	Speedup       float64 `json:"speedup"` // N·single / batch
	Status        string  `json:"status"`
}

// E2ERow is a synthetic session split into its phases.
type E2ERow struct {
	Backend  string  `json:"backend"`
	Shape    string  `json:"shape"`
	Modules  int     `json:"modules"`
	Tokens   int     `json:"tokens"`
	SetupS   float64 `json:"setup_s"`   // keys: the dev setup of the shape (once per shape, shared with other suites)
	SessionS float64 `json:"session_s"` // inference: weights, commitments, exact LoRA products, transcript
	ProveS   float64 `json:"prove_s"`   // ProveSession (statements, proofs, artifact)
	VerifyS  float64 `json:"verify_s"`  // VerifyDir
	Status   string  `json:"status"`
}

// Summary holds the headline figures.
type Summary struct {
	// HeadlineShape is the shape of the headline figures (768x8x2304).
	HeadlineShape string  `json:"headline_shape"`
	ProveS        float64 `json:"prove_s,omitempty"`     // median
	ProveMinS     float64 `json:"prove_min_s,omitempty"` // fastest
	VerifyS       float64 `json:"verify_s,omitempty"`
	Constraints   int     `json:"constraints,omitempty"`
	// NaiveOverSession is the naive circuit's prove time over the session
	// circuit's at T=NaiveTokens (16 but in the smoke table): the median
	// of the ratios of alternating proof pairs (target ≥ 8).
	NaiveOverSession float64 `json:"naive_over_session_t16,omitempty"`
	// NaiveOverSessionFastest is the fastest naive proof over the fastest
	// session proof of the same pairs.
	NaiveOverSessionFastest float64 `json:"naive_over_session_fastest_t16,omitempty"`
	// NaiveOverSessionCPU is the same ratio in CPU time per proof.
	NaiveOverSessionCPU float64 `json:"naive_over_session_cpu_t16,omitempty"`
	NaiveTokens         int     `json:"naive_tokens,omitempty"`
	// LimitRatio is prove_s/(MSM+FFT) of the headline proof (target ≤ 2).
	LimitRatio float64 `json:"limit_ratio,omitempty"`
	// PublishedOverOurs is the original's published per-module proof time
	// (31.6 s, hardware not stated) over ours.
	PublishedOverOurs float64 `json:"published_over_ours,omitempty"`
	// BatchSpeedup is N single verifications over one batch of N.
	BatchSpeedup float64 `json:"batch_speedup,omitempty"`
	BatchProofs  int     `json:"batch_proofs,omitempty"`
}

// Reference is a published figure of the original system.
type Reference struct {
	System  string  `json:"system"`
	Model   string  `json:"model"`
	What    string  `json:"what"`
	Seconds float64 `json:"seconds"`
	Note    string  `json:"note"`
}
