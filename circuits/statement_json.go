package circuits

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// MaxStatementJSON bounds the size of a statement's JSON encoding accepted
// by UnmarshalJSON: MaxDim decimal field elements of at most 78 digits plus
// punctuation fit well within it.
const MaxStatementJSON = 8 << 20

// statementJSON is the wire form of a Statement:
//
//	{"version":1,"shape":{"d":D,"r":R,"o":O},"xbar":["dec",…],"gamma":"dec","zbar":"dec"}
//
// Field elements are canonical decimal strings (no sign, no leading zeros,
// below the BN254 scalar field modulus).
type statementJSON struct {
	Version *int      `json:"version"`
	Shape   *Shape    `json:"shape"`
	Xbar    *[]string `json:"xbar"`
	Gamma   *string   `json:"gamma"`
	Zbar    *string   `json:"zbar"`
}

// MarshalJSON encodes the statement in its versioned JSON form. It refuses
// a statement whose shape is invalid or whose Xbar does not match the shape.
func (st Statement) MarshalJSON() ([]byte, error) {
	if err := st.validate(); err != nil {
		return nil, err
	}
	v := StatementVersion
	xs := make([]string, len(st.Xbar))
	for i := range st.Xbar {
		xs[i] = FrDecimal(&st.Xbar[i])
	}
	g, z := FrDecimal(&st.Gamma), FrDecimal(&st.Zbar)
	sh := st.Shape
	return json.Marshal(statementJSON{Version: &v, Shape: &sh, Xbar: &xs, Gamma: &g, Zbar: &z})
}

// UnmarshalJSON decodes the versioned JSON form strictly: every field is
// required, unknown or duplicated keys (also keys differing only in case),
// another version, an invalid shape, an xbar of the wrong length, and field
// elements that are not canonical decimals below the modulus are errors.
// On error st is left unchanged.
func (st *Statement) UnmarshalJSON(data []byte) error {
	if len(data) > MaxStatementJSON {
		return fmt.Errorf("statement: %d bytes of JSON, more than the %d allowed", len(data), MaxStatementJSON)
	}
	if err := checkJSONKeys(data, statementKeys); err != nil {
		return fmt.Errorf("statement: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w statementJSON
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("statement: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("statement: trailing data after the JSON object")
	}
	switch {
	case w.Version == nil:
		return errors.New("statement: missing \"version\"")
	case *w.Version != StatementVersion:
		return fmt.Errorf("statement: unsupported version %d (this build reads version %d)", *w.Version, StatementVersion)
	case w.Shape == nil:
		return errors.New("statement: missing \"shape\"")
	case w.Xbar == nil:
		return errors.New("statement: missing \"xbar\"")
	case w.Gamma == nil:
		return errors.New("statement: missing \"gamma\"")
	case w.Zbar == nil:
		return errors.New("statement: missing \"zbar\"")
	}
	if err := w.Shape.Validate(); err != nil {
		return fmt.Errorf("statement: %w", err)
	}
	if len(*w.Xbar) != w.Shape.D {
		return fmt.Errorf("statement: xbar has %d elements, shape %s wants %d", len(*w.Xbar), *w.Shape, w.Shape.D)
	}
	out := Statement{Shape: *w.Shape, Xbar: make([]fr.Element, w.Shape.D)}
	for i, s := range *w.Xbar {
		if err := parseCanonicalFr(s, &out.Xbar[i]); err != nil {
			return fmt.Errorf("statement: xbar[%d]: %w", i, err)
		}
	}
	if err := parseCanonicalFr(*w.Gamma, &out.Gamma); err != nil {
		return fmt.Errorf("statement: gamma: %w", err)
	}
	if err := parseCanonicalFr(*w.Zbar, &out.Zbar); err != nil {
		return fmt.Errorf("statement: zbar: %w", err)
	}
	*st = out
	return nil
}

// maxFrDecimalDigits is the number of decimal digits of the largest element.
var maxFrDecimalDigits = len(fr.Modulus().String())

// parseCanonicalFr parses a canonical decimal: digits only, no leading zero
// (except "0" itself), value below the modulus.
func parseCanonicalFr(s string, e *fr.Element) error {
	if s == "" {
		return errors.New("empty field element")
	}
	if len(s) > maxFrDecimalDigits {
		return fmt.Errorf("%.20q… is too long for a field element", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("%q is not a canonical decimal", s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return fmt.Errorf("%q has a leading zero", s)
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return fmt.Errorf("%q is not a decimal", s)
	}
	if v.Cmp(fr.Modulus()) >= 0 {
		return fmt.Errorf("%s is not below the field modulus", s)
	}
	e.SetBigInt(v)
	return nil
}

// keySchema names the keys allowed in a JSON object and, for nested
// objects, their own schema (nil: the value is not an object to check).
type keySchema map[string]keySchema

var statementKeys = keySchema{
	"version": nil,
	"shape":   {"d": nil, "r": nil, "o": nil},
	"xbar":    nil,
	"gamma":   nil,
	"zbar":    nil,
}

// checkJSONKeys walks a JSON document and refuses duplicated keys and keys
// not in the schema (compared exactly, so "XBAR" is refused although
// encoding/json would match it case-insensitively). Objects below a key
// without schema are still checked for duplicates.
func checkJSONKeys(data []byte, schema keySchema) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walkJSON(dec, schema, true, 0)
}

// maxJSONDepth bounds nesting so that a hostile document cannot exhaust the
// stack.
const maxJSONDepth = 16

func walkJSON(dec *json.Decoder, schema keySchema, checked bool, depth int) error {
	if depth > maxJSONDepth {
		return errors.New("JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := kt.(string)
			if seen[k] {
				return fmt.Errorf("duplicate key %q", k)
			}
			seen[k] = true
			var sub keySchema
			subChecked := false
			if checked {
				s, known := schema[k]
				if !known {
					return fmt.Errorf("unknown key %q", k)
				}
				sub, subChecked = s, s != nil
			}
			if err := walkJSON(dec, sub, subChecked, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := walkJSON(dec, nil, false, depth+1); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // closing delimiter
	return err
}
