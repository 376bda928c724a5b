package core

import (
	"context"
	"errors"
	"strings"
	"testing"
)

type vtUpper string

func (u *vtUpper) UnmarshalJSON(b []byte) error {
	*u = vtUpper(strings.ToUpper(strings.Trim(string(b), `"`)))
	return nil
}

type vtBase struct {
	Tenant string `json:"custom:tenant"`
}

type vtCustom struct {
	vtBase
	Email    string   `json:"email"`
	Verified bool     `json:"email_verified"`
	Roles    []string `json:"roles"`
	Address  struct {
		City string `json:"city"`
	} `json:"address"`
	Items []struct {
		N int `json:"n"`
	} `json:"items"`
	Shout   vtUpper `json:"shout"`
	Ignored string  `json:"-"`
	Plain   string
}

func decodePayload(t *testing.T, payload string, v any) error {
	t.Helper()
	k := vtKey("EdDSA")
	ver := vtNew(t, vtConfig(k))
	base := `{"iss":"` + vtIss + `","aud":"` + vtAud + `","exp":1700003600`
	tok := k.SignBytes(vtJSON(t, vtHeader(k)), []byte(base+payload+`}`))
	c, err := ver.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return c.Decode(v)
}

func TestDecode(t *testing.T) {
	var c vtCustom
	err := decodePayload(t, `,"email":"a@x","email_verified":true,"roles":["r1"],"address":{"city":"Oslo"},`+
		`"items":[{"n":1},{"n":2}],"shout":"hi","custom:tenant":"t1","Plain":"p","unknown":{"deep":[1]}`, &c)
	if err != nil {
		t.Fatal(err)
	}
	if c.Email != "a@x" || !c.Verified || len(c.Roles) != 1 || c.Address.City != "Oslo" || len(c.Items) != 2 ||
		c.Items[1].N != 2 || c.Shout != "HI" || c.Tenant != "t1" || c.Plain != "p" {
		t.Errorf("got %+v", c)
	}
	var m map[string]any
	if err := decodePayload(t, `,"email":"a@x"`, &m); err != nil || m["email"] != "a@x" || m["iss"] != vtIss {
		t.Errorf("map: got %v, %v", m, err)
	}
}

func TestDecodeCaseSensitive(t *testing.T) {
	var c vtCustom
	err := decodePayload(t, `,"EMAIL":"wrong","Email_Verified":true,"ADDRESS":{"city":"x"},"address":{"CITY":"y"},`+
		`"items":[{"N":5}],"plain":"q","Custom:Tenant":"t"`, &c)
	if err != nil {
		t.Fatal(err)
	}
	if c.Email != "" || c.Verified || c.Address.City != "" || len(c.Items) != 1 || c.Items[0].N != 0 || c.Plain != "" || c.Tenant != "" {
		t.Errorf("case-insensitive match filled fields: %+v", c)
	}
	// The exact name wins whatever the order.
	var d vtCustom
	if err := decodePayload(t, `,"email":"right","EMAIL":"wrong"`, &d); err != nil || d.Email != "right" {
		t.Errorf("got %q, %v; want right", d.Email, err)
	}
	var e vtCustom
	if err := decodePayload(t, `,"EMAIL":"wrong","email":"right"`, &e); err != nil || e.Email != "right" {
		t.Errorf("got %q, %v; want right", e.Email, err)
	}
}

func TestDecodeStrict(t *testing.T) {
	var c vtCustom
	if err := decodePayload(t, `,"address":{"city":"a","city":"b"}`, &c); err == nil {
		t.Error("nested duplicate: got nil error")
	}
	if err := decodePayload(t, `,"items":[{"n":1,"n":2}]`, &c); err == nil {
		t.Error("duplicate in an array element: got nil error")
	}
	if err := decodePayload(t, `,"email":5`, &c); err == nil {
		t.Error("wrong type: got nil error")
	}
	var nilClaims *Claims
	if err := nilClaims.Decode(&c); err == nil {
		t.Error("nil claims: got nil error")
	}
	if err := (&Claims{}).Decode(&c); err == nil {
		t.Error("claims without payload: got nil error")
	}
	if err := decodePayload(t, ``, c); !errors.Is(err, errDecodeTarget) {
		t.Errorf("non-pointer: got %v", err)
	}
	if err := decodePayload(t, ``, nil); !errors.Is(err, errDecodeTarget) {
		t.Errorf("nil: got %v", err)
	}
}

func TestContextClaims(t *testing.T) {
	if c, ok := FromContext(context.Background()); ok || c != nil {
		t.Errorf("empty context: got %v, %v; want nil, false", c, ok)
	}
	if c, ok := FromContext(NewContext(context.Background(), nil)); ok || c != nil {
		t.Errorf("nil claims: got %v, %v; want nil, false", c, ok)
	}
	want := &Claims{Subject: "s"}
	if c, ok := FromContext(NewContext(context.Background(), want)); !ok || c != want {
		t.Errorf("got %v, %v; want %v, true", c, ok, want)
	}
}
