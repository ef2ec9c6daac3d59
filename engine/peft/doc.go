// Package peft loads a Hugging Face PEFT LoRA adapter (adapter_config.json
// and adapter_model.safetensors) for a GPT-2-family base model and checks it
// against the base model's shapes.
//
// Only adapters whose effect is exactly y += scaling·(x·lora_Aᵀ)·lora_Bᵀ on
// the blocks' Conv1D modules (attn.c_attn, attn.c_proj, mlp.c_fc,
// mlp.c_proj) are accepted. Every config field or tensor that would change
// that maths (DoRA, LoRA biases, modules_to_save, embedding LoRA, trainable
// tokens, target_parameters, base-weight-modifying initialisations, ...) is
// refused with an error naming it. Unknown fields are ignored, as PEFT adds
// fields across versions.
//
// Module selection follows PEFT (peft/tuners/tuners_utils.py,
// check_target_module_exists): exclude_modules first, then target_modules
// as a regex that must fully match the module name, or as a list whose
// entries match a name they equal or end ("."+entry), with
// layers_to_transform / layers_pattern applied to list suffix matches only.
// Per-module ranks and alphas follow PEFT's get_pattern_key
// (peft/utils/other.py): the first rank_pattern (alpha_pattern) key, in the
// file's order, such that the regex (.*\.)?(key)$ matches the module name
// from its start. Regexes are Go RE2: Python-only syntax (look-around,
// back-references) is refused rather than guessed.
//
// Module names are those of the base model the adapter was trained on:
// "transformer.h.0.attn.c_attn" for GPT2LMHeadModel, "h.0.attn.c_attn" for
// GPT2Model. The form is read from the tensor names; Adapter.Modules is
// always keyed by the GPT2LMHeadModel form.
package peft
