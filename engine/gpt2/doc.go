// Package gpt2 runs the forward pass of a GPT-2-family causal language model
// (GPT2LMHeadModel: gpt2, distilgpt2, …) in float32 on the CPU, as party B
// does with the public base model.
//
// Every Conv1D projection of every block (attn.c_attn, attn.c_proj,
// mlp.c_fc, mlp.c_proj) can be observed and modified through a LinearHook,
// which is where the LoRA contribution obtained from party A is added.
//
// The matrix products go through engine/blas (pure Go by default, OpenBLAS
// with the build tag "openblas"). The rest (layer norm, softmax, GELU)
// is plain Go, with reductions in float64.
//
// The math follows Hugging Face's GPT2LMHeadModel in eval mode: token plus
// position embeddings; per block x += attn(ln_1(x)) and x += mlp(ln_2(x))
// with causal softmax attention scaled by 1/sqrt(head_dim); GELU in its tanh
// form ("gelu_new"); a final ln_f and the language-model head tied to the
// token embedding.
package gpt2
