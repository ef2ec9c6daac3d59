// Package wire is zklora's network format between party B (the base-model
// user, client) and party A (the LoRA contributor, server), DESIGN §4.
//
// Every message travels in one frame:
//
//	offset 0  2 bytes  magic "ZL"
//	offset 2  1 byte   protocol version (Version)
//	offset 3  1 byte   message type (Type)
//	offset 4  4 bytes  payload length, big-endian uint32
//	offset 8  payload
//
// The payload length is checked against a hard maximum before anything is
// allocated for it. Payloads use a hand-written binary codec: fixed-width
// big-endian integers, length-prefixed strings and byte strings, and
// tensors as (rows, cols) followed by rows·cols little-endian elements.
// Every decoder checks each length against what is left of the payload
// before allocating, rejects trailing bytes, and validates shapes, so a
// hostile peer can make a decode fail but never make it allocate more than
// the frame it already sent or panic. There is no reflection-based decoder.
package wire
