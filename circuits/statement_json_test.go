package circuits

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

func TestStatementJSONRoundTrip(t *testing.T) {
	f := newFixture(t, Shape{D: 5, R: 3, O: 7}, 4, 3)
	data, err := json.Marshal(f.st)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), `{"version":1,"shape":{"d":5,"r":3,"o":7},"xbar":["`) {
		t.Fatalf("unexpected encoding %s", data)
	}
	var got Statement
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !got.Equal(f.st) {
		t.Fatal("round trip changed the statement")
	}
	// Equal notices every field.
	other := got
	other.Xbar = append([]fr.Element(nil), got.Xbar...)
	other.Xbar[2].SetUint64(1)
	if other.Equal(f.st) {
		t.Fatal("Equal missed an xbar change")
	}
	other = got
	other.Shape.R = 4
	if other.Equal(f.st) {
		t.Fatal("Equal missed a shape change")
	}
	other = got
	other.Zbar.SetUint64(9)
	if other.Equal(f.st) {
		t.Fatal("Equal missed a zbar change")
	}
	other = got
	other.Xbar = got.Xbar[:4]
	if other.Equal(f.st) {
		t.Fatal("Equal missed an xbar length change")
	}
}

// TestStatementJSONNegative encodes a statement whose elements are small
// negatives (T = 1, negative X and Z): fr.Element.String would write "-5".
func TestStatementJSONNegative(t *testing.T) {
	s := Shape{D: 2, R: 1, O: 1}
	var b, g fr.Element
	b.SetUint64(7)
	g.SetUint64(11)
	st, err := ComputeStatement(s, []int16{-5, -32768}, []int64{-3}, b, g)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "-") {
		t.Fatalf("non-canonical encoding %s", data)
	}
	var got Statement
	if err := json.Unmarshal(data, &got); err != nil || !got.Equal(st) {
		t.Fatalf("round trip: %v", err)
	}
	e, err := ParseFrDecimal(FrDecimal(&st.Zbar))
	if err != nil || !e.Equal(&st.Zbar) {
		t.Fatalf("ParseFrDecimal(FrDecimal) round trip: %v", err)
	}
}

func TestStatementJSONStrict(t *testing.T) {
	p := fr.Modulus().String()
	pm1 := new(fr.Element).SetInt64(-1)
	pm1s := FrDecimal(pm1)
	if pm1.String() != "-1" || pm1s[0] == '-' {
		t.Fatalf("FrDecimal(p-1) = %s", pm1s)
	}
	good := `{"version":1,"shape":{"d":2,"r":1,"o":3},"xbar":["1","2"],"gamma":"3","zbar":"4"}`
	var st Statement
	if err := json.Unmarshal([]byte(good), &st); err != nil {
		t.Fatalf("good statement refused: %v", err)
	}
	edge := strings.Replace(good, `"zbar":"4"`, `"zbar":"`+pm1s+`"`, 1)
	if err := json.Unmarshal([]byte(edge), &st); err != nil {
		t.Fatalf("p-1 refused: %v", err)
	}
	bad := map[string]string{
		"version 2":         strings.Replace(good, `"version":1`, `"version":2`, 1),
		"version 0":         strings.Replace(good, `"version":1`, `"version":0`, 1),
		"no version":        strings.Replace(good, `"version":1,`, ``, 1),
		"no shape":          `{"version":1,"xbar":["1","2"],"gamma":"3","zbar":"4"}`,
		"no xbar":           `{"version":1,"shape":{"d":2,"r":1,"o":3},"gamma":"3","zbar":"4"}`,
		"no gamma":          strings.Replace(good, `"gamma":"3",`, ``, 1),
		"no zbar":           strings.Replace(good, `,"zbar":"4"`, ``, 1),
		"unknown field":     strings.Replace(good, `"zbar":"4"`, `"zbar":"4","beta":"1"`, 1),
		"unknown shape key": strings.Replace(good, `"o":3`, `"o":3,"t":1`, 1),
		"case folded key":   strings.Replace(good, `"xbar"`, `"XBAR"`, 1),
		"duplicate key":     strings.Replace(good, `"zbar":"4"`, `"zbar":"4","zbar":"5"`, 1),
		"dup in shape":      strings.Replace(good, `"o":3`, `"o":3,"o":3`, 1),
		"short xbar":        strings.Replace(good, `["1","2"]`, `["1"]`, 1),
		"long xbar":         strings.Replace(good, `["1","2"]`, `["1","2","3"]`, 1),
		"modulus":           strings.Replace(good, `"zbar":"4"`, `"zbar":"`+p+`"`, 1),
		"above modulus":     strings.Replace(good, `"zbar":"4"`, `"zbar":"`+p+`0"`, 1),
		"leading zero":      strings.Replace(good, `"gamma":"3"`, `"gamma":"03"`, 1),
		"negative":          strings.Replace(good, `"gamma":"3"`, `"gamma":"-3"`, 1),
		"plus sign":         strings.Replace(good, `"gamma":"3"`, `"gamma":"+3"`, 1),
		"hex":               strings.Replace(good, `"gamma":"3"`, `"gamma":"0x3"`, 1),
		"empty element":     strings.Replace(good, `"gamma":"3"`, `"gamma":""`, 1),
		"space":             strings.Replace(good, `"gamma":"3"`, `"gamma":" 3"`, 1),
		"number element":    strings.Replace(good, `"gamma":"3"`, `"gamma":3`, 1),
		"bad shape":         strings.Replace(good, `"r":1`, `"r":0`, 1),
		"overflow shape":    `{"version":1,"shape":{"d":1,"r":131073,"o":1},"xbar":["1"],"gamma":"3","zbar":"4"}`,
		"float dim":         strings.Replace(good, `"r":1`, `"r":1.0`, 1),
		"null":              `null`,
		"array":             `[]`,
		"trailing":          good + `{}`,
		"truncated":         good[:len(good)-1],
		"null xbar":         strings.Replace(good, `["1","2"]`, `null`, 1),
	}
	for name, in := range bad {
		var st Statement
		if err := json.Unmarshal([]byte(in), &st); err == nil {
			t.Errorf("%s: accepted %s", name, in)
		}
		// And through UnmarshalJSON directly (json.Unmarshal checks syntax first).
		if err := st.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("%s: UnmarshalJSON accepted %s", name, in)
		}
	}
	// A refused input leaves the statement unchanged.
	var keep Statement
	_ = json.Unmarshal([]byte(good), &keep)
	before := keep
	if err := keep.UnmarshalJSON([]byte(bad["modulus"])); err == nil || !keep.Equal(before) {
		t.Fatal("a refused decode changed the statement")
	}
	if err := keep.UnmarshalJSON([]byte(strings.Repeat(" ", MaxStatementJSON+1))); err == nil {
		t.Fatal("oversized input accepted")
	}
	deep := strings.Repeat(`{"version":`, 100)
	if err := keep.UnmarshalJSON([]byte(deep)); err == nil {
		t.Fatal("deeply nested input accepted")
	}
}

func FuzzStatementJSON(f *testing.F) {
	f.Add([]byte(`{"version":1,"shape":{"d":2,"r":1,"o":3},"xbar":["1","2"],"gamma":"3","zbar":"4"}`))
	f.Add([]byte(`{"version":1,"shape":{"d":1,"r":1,"o":1},"xbar":["0"],"gamma":"0","zbar":"0"}`))
	f.Add([]byte(`{"version":1,"shape":{"d":2,"r":1,"o":3},"xbar":["1","2"],"gamma":"3","zbar":"4","zbar":"4"}`))
	f.Add([]byte(`[[[[{}]]]]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st Statement
		if err := st.UnmarshalJSON(data); err != nil {
			return
		}
		out, err := json.Marshal(st)
		if err != nil {
			t.Fatalf("accepted statement does not marshal: %v", err)
		}
		var again Statement
		if err := json.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-encoded statement refused: %v\n%s", err, out)
		}
		if !again.Equal(st) {
			t.Fatal("round trip changed an accepted statement")
		}
	})
}
