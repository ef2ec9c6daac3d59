// Package bench is zklora's proof-throughput benchmark suite: scenario
// tables (LoRA module shapes of distilgpt2, gpt2-medium, Llama-3-8B and
// Llama-3.3-70B; token counts), suites (msm, ntt, matmul, prove, verify,
// e2e) on a cpu or gpu backend, and the report they produce: a versioned
// JSON document, a Markdown table and PNG plots.
//
// Every prove row carries a limit column: the time of that proof's MSMs
// and FFTs, with sizes read from its proving key, run alone on the same
// backend, and the ratio of the proof time to it. The report also carries
// the published figures of the original ZKLoRA system (hardware not
// stated) for reference.
package bench
