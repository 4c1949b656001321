//go:build !cgo

package collectors

import (
	"context"
	"errors"
	"testing"
)

func TestNVMLWithoutCgoIsUnavailable(t *testing.T) {
	n := NewNVMLDriver(discard())
	if _, err := n.Collect(context.Background()); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Collect err = %v, want ErrUnavailable", err)
	}
	if _, err := n.Sample(context.Background(), "0000:01:00.0"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Sample err = %v, want ErrUnavailable", err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
}
