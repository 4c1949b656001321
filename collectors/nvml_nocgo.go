//go:build !cgo

package collectors

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/metric"
)

// NVML stands in for the GPU collector in builds without cgo: go-nvml
// loads the driver through cgo, so there is nothing to read.
type NVML struct{}

// NewNVMLDriver returns a collector that reports ErrUnavailable.
func NewNVMLDriver(*slog.Logger) *NVML { return &NVML{} }

func errNoCgo() error {
	return fmt.Errorf("nvml: %w: perwatt was built without cgo (CGO_ENABLED=0), which NVML needs; use a cgo build on GPU hosts, or set [collectors.nvml] enabled = false", ErrUnavailable)
}

func (*NVML) Name() string { return "nvml" }

func (*NVML) Collect(context.Context) ([]metric.Point, error) { return nil, errNoCgo() }

func (*NVML) Sample(context.Context, string) (GPUSample, error) { return GPUSample{}, errNoCgo() }

func (*NVML) Devices(context.Context) ([]GPUInfo, error) { return nil, errNoCgo() }

func (*NVML) Close() error { return nil }

func (*NVML) Readings() []appraisal.Reading { return nil }
