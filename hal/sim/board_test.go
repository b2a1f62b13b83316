package sim

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gatepbx/gatepbx/hal"
	"github.com/gatepbx/gatepbx/hal/region"
)

func TestNewBoardNamesPorts(t *testing.T) {
	b, err := NewBoard("sim", 2, 1, NewManualClock(epoch))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var names []string
	var kinds []hal.Kind
	for _, p := range b.Ports() {
		names = append(names, p.Name())
		kinds = append(kinds, p.Kind())
	}
	if want := []string{"fxs0", "fxs1", "fxo0"}; !reflect.DeepEqual(names, want) {
		t.Errorf("port names %v, want %v", names, want)
	}
	if want := []hal.Kind{hal.KindFXS, hal.KindFXS, hal.KindFXO}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("port kinds %v, want %v", kinds, want)
	}
	if b.Name() != "sim" {
		t.Errorf("Name() = %q", b.Name())
	}

	p, ok := b.Port("fxs1")
	if !ok {
		t.Fatal("Port(fxs1) not found")
	}
	if _, isFXS := p.(hal.FXS); !isFXS {
		t.Errorf("Port(fxs1) is %T, not hal.FXS", p)
	}
	if p, _ := b.Port("fxo0"); p.(hal.FXO) == nil {
		t.Error("fxo0 is not hal.FXO")
	}
	if _, ok := b.Port("fxs9"); ok {
		t.Error("Port(fxs9) found")
	}
	if _, ok := b.Phone("fxo0"); ok {
		t.Error("Phone(fxo0) found a phone")
	}
	if _, ok := b.CO("fxo0"); !ok {
		t.Error("CO(fxo0) not found")
	}
}

func TestNewBoardErrors(t *testing.T) {
	us, _ := region.Lookup("us")
	tests := []struct {
		name    string
		build   func() (*Board, error)
		wantErr string
	}{
		{"negative", func() (*Board, error) { return NewBoard("b", -1, 0, nil) }, "negative port count"},
		{"no ports", func() (*Board, error) { return NewBoard("b", 0, 0, nil) }, "no ports"},
		{"no name", func() (*Board, error) { return NewBoard("", 1, 0, nil) }, "no name"},
		{"duplicate", func() (*Board, error) {
			return New("b", []PortSpec{{Name: "x", Kind: hal.KindFXS}, {Name: "x", Kind: hal.KindFXO}}, nil, us)
		}, `port "x" listed twice`},
		{"unnamed port", func() (*Board, error) { return New("b", []PortSpec{{Name: "", Kind: hal.KindFXS}}, nil, us) }, "port with no name"},
		{"bad kind", func() (*Board, error) { return New("b", []PortSpec{{Name: "e0", Kind: "e1"}}, nil, us) }, `unknown kind "e1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.build()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
			}
			if b != nil {
				t.Errorf("board = %v, want nil", b)
			}
		})
	}
}

func TestBoardCloseClosesPorts(t *testing.T) {
	b, err := NewBoard("sim", 1, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close() = %v", err)
	}
	for _, p := range b.Ports() {
		if _, open := <-p.Events(); open {
			t.Errorf("%s: events channel still open", p.Name())
		}
	}
}
