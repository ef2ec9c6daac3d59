package bench

// PublishedProofS is the original ZKLoRA system's published per-module
// proof time for distilgpt2 (DESIGN §8; hardware not stated).
const PublishedProofS = 31.6

// publishedNote labels every published figure.
const publishedNote = "published, hardware not stated"

// References returns the published figures of DESIGN §8.
func References() []Reference {
	z := "ZKLoRA (EZKL/Halo2), arXiv 2501.13965"
	h := "native Halo2 successor"
	return []Reference{
		{z, "distilgpt2", "settings per module", 38.0, publishedNote},
		{z, "distilgpt2", "witness per module", 12.5, publishedNote},
		{z, "distilgpt2", "proof per module", PublishedProofS, publishedNote},
		{z, "distilgpt2", "verify per module", 0.69, publishedNote},
		{z, "distilgpt2", "total proving, 24 modules", 759, publishedNote},
		{z, "Llama-3.3-70B", "proof per module", 46.9, publishedNote},
		{z, "Llama-3.3-70B", "verify per module", 1.54, publishedNote},
		{z, "Llama-3.3-70B", "total proving, 80 modules", 3750, publishedNote},
		{h, "768x2x256", "prove (12.1 GB peak)", 81, publishedNote},
		{h, "768x2x256", "verify", 1.3, publishedNote},
		{"naive per-token gnark circuit", "768x8x2304, T=16", "prove (430,336 constraints)", 4.5, "measured on a 2-core machine (DESIGN §8)"},
	}
}

// PublishedProofFor returns the original system's published per-module
// proof time for model (distilgpt2 or Llama-3.3-70B; hardware not
// stated), and false for a model it published none for.
func PublishedProofFor(model string) (float64, bool) {
	for _, r := range References() {
		if r.Model == model && r.What == "proof per module" {
			return r.Seconds, true
		}
	}
	return 0, false
}
