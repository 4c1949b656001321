package gpubench

import (
	"fmt"
	"sort"

	"github.com/perwatt/perwatt/internal/gpuid"
)

// Device is what the driver reports about one GPU.
type Device struct {
	Index           int     `json:"index"` // CUDA ordinal
	Name            string  `json:"name"`
	PCIBusID        string  `json:"pci_bus_id"` // gpuid.NormalizePCIBusID form
	ComputeCap      string  `json:"compute_capability"`
	Arch            string  `json:"arch"`
	SMs             int     `json:"sms"`
	MaxClockMHz     float64 `json:"max_clock_mhz"`
	MemoryBytes     uint64  `json:"memory_bytes"`
	MemClockMHz     float64 `json:"mem_clock_mhz"`
	MemBusWidthBits int     `json:"mem_bus_width_bits"`
	L2Bytes         int     `json:"l2_bytes"`

	ccMajor, ccMinor int
	maxThreadsPerSM  int
	maxThreadsPerBlk int
	dev              cuDevice
}

func (d Device) cc() int { return d.ccMajor*10 + d.ccMinor }

// probeDevice reads one device's attributes. The clock attributes are
// deprecated in recent CUDA releases; if the driver refuses them the peak
// falls back to NVML's measured clock alone.
func probeDevice(drv driver, ordinal int) (Device, error) {
	d := Device{Index: ordinal}
	dev, err := drv.device(ordinal)
	if err != nil {
		return d, err
	}
	d.dev = dev
	if d.Name, err = drv.deviceName(dev); err != nil {
		return d, err
	}
	bus, err := drv.devicePCIBusID(dev)
	if err != nil {
		return d, err
	}
	if d.PCIBusID, err = gpuid.NormalizePCIBusID(bus); err != nil {
		return d, err
	}
	if d.MemoryBytes, err = drv.deviceTotalMem(dev); err != nil {
		return d, err
	}
	required := []struct {
		attr deviceAttr
		dst  *int
	}{
		{attrComputeCapMajor, &d.ccMajor},
		{attrComputeCapMinor, &d.ccMinor},
		{attrMultiprocessorCount, &d.SMs},
		{attrMaxThreadsPerSM, &d.maxThreadsPerSM},
		{attrMaxThreadsPerBlock, &d.maxThreadsPerBlk},
	}
	for _, r := range required {
		if *r.dst, err = drv.deviceAttribute(dev, r.attr); err != nil {
			return d, fmt.Errorf("gpu %d attribute %d: %w", ordinal, r.attr, err)
		}
	}
	if v, err := drv.deviceAttribute(dev, attrClockRateKHz); err == nil {
		d.MaxClockMHz = float64(v) / 1000
	}
	if v, err := drv.deviceAttribute(dev, attrMemoryClockRateKHz); err == nil {
		d.MemClockMHz = float64(v) / 1000
	}
	if v, err := drv.deviceAttribute(dev, attrGlobalMemoryBusWidth); err == nil {
		d.MemBusWidthBits = v
	}
	if v, err := drv.deviceAttribute(dev, attrL2CacheSize); err == nil {
		d.L2Bytes = v
	}
	d.ComputeCap = fmt.Sprintf("%d.%d", d.ccMajor, d.ccMinor)
	if a, ok := ArchFor(d.ccMajor, d.ccMinor); ok {
		d.Arch = a.Name
	} else {
		d.Arch = "unknown"
	}
	return d, nil
}

// listDevices probes every device, or only those in want (CUDA ordinals).
func listDevices(drv driver, want []int) ([]Device, error) {
	n, err := drv.deviceCount()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: the driver reports 0 devices", ErrNoDevice)
	}
	ords := want
	if len(ords) == 0 {
		for i := 0; i < n; i++ {
			ords = append(ords, i)
		}
	}
	ords = append([]int(nil), ords...)
	sort.Ints(ords)
	var out []Device
	for i, o := range ords {
		if i > 0 && ords[i-1] == o {
			continue
		}
		if o < 0 || o >= n {
			return nil, fmt.Errorf("gpu %d does not exist (this host has %d: 0..%d)", o, n, n-1)
		}
		d, err := probeDevice(drv, o)
		if err != nil {
			return nil, fmt.Errorf("gpu %d: %w", o, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// launchShape is one full wave of f: as many blocks per SM as the driver
// says fit at once (registers and shared memory, not only the SM's thread
// limit, decide: at 46-48 registers a 2048-thread SM holds fewer than
// 2048/block blocks, and a grid sized by threads alone ends every launch
// with a partial second wave).
func launchShape(drv driver, d Device, f cuFunction, block int) (dim3, dim3, error) {
	if block > d.maxThreadsPerBlk && d.maxThreadsPerBlk > 0 {
		block = d.maxThreadsPerBlk
	}
	perSM, err := drv.occupancy(f, block)
	if err != nil {
		return dim3{}, dim3{}, fmt.Errorf("occupancy of %d-thread blocks: %w", block, err)
	}
	if perSM < 1 {
		perSM = 1
	}
	grid := d.SMs * perSM
	if grid < 1 {
		grid = 1
	}
	return dim3{uint32(grid), 1, 1}, dim3{uint32(block), 1, 1}, nil
}
