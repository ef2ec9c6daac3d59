// Package safetensors reads and writes the Hugging Face safetensors format:
// an 8-byte little-endian header length N, N bytes of a UTF-8 JSON header
// mapping tensor names to {"dtype","shape","data_offsets"} (plus an optional
// "__metadata__" string→string map), then the data section.
//
// The reader validates everything the format promises before handing out a
// byte: the header length is capped before anything is allocated, byte sizes
// are overflow-checked, and the tensors' spans must tile the data section
// exactly (contiguous, non-overlapping, no gap, nothing left over), as the
// Rust reference implementation requires. Open memory-maps the file
// read-only where the platform allows and falls back to positioned reads;
// no path reads the whole file into a heap copy.
//
// The writer produces the layout the Rust implementation writes: compact
// JSON header, "__metadata__" first, header padded with spaces to a multiple
// of 8 bytes, contiguous data offsets.
package safetensors
