package economics

import (
	"errors"
	"fmt"
)

// Kind names the way a profile turns power into money; it is the "kind" field
// of the JSON contract.
type Kind string

const (
	KindMining     Kind = "mining"
	KindLeasing    Kind = "leasing"
	KindColocation Kind = "colocation"
	// KindGPUCloud is a contract in which the operator owns and runs the
	// GPUs for one customer (IREN–Microsoft): priced like a lease, paid for
	// like a GPU cloud, so it is kept out of colocation comparisons.
	KindGPUCloud Kind = "gpu-cloud"
)

// Profile is one way to spend power: a miner, a leased GPU, a colocation lease.
// The set is closed (evaluate is unexported) so every kind answers the whole
// JSON contract.
type Profile interface {
	ProfileName() string
	Validate() error
	evaluate(m Market, powerPriceUSDPerKWh float64) Result
}

// Defaults used by spec parsing and the catalogue when a value is not given.
// They are the figures an operator would assume without other information:
// a 2.5 % FPPS pool fee and 95 % uptime for air-cooled miners in a shed with
// PUE 1.0 (fans are inside the miner's own wall power); a GPU billed 70 % of
// the hours in a data hall with PUE 1.3.
const (
	DefaultPoolFee     = 0.025
	DefaultUptime      = 0.95
	DefaultMiningPUE   = 1.0
	DefaultUtilization = 0.7
	DefaultLeasingPUE  = 1.3
)

// Mining is an SHA-256d miner (or a fleet summed into one): hashrate and the
// power it draws at the wall.
type Mining struct {
	Name       string
	HashrateHS float64
	PowerW     float64 // device wall power, before PUE
	PoolFee    float64 // fraction of revenue the pool keeps, 0..1
	Uptime     float64 // fraction of the day hashing, 0..1
	PUE        float64 // facility power / device power, >= 1
	Pool       PoolModel
	Source     string // where the figures come from
	Capital    Capital
}

// NewMining returns a miner with the package defaults for everything but its
// measured or published figures.
func NewMining(name string, hashrateHS, powerW float64) Mining {
	return Mining{Name: name, HashrateHS: hashrateHS, PowerW: powerW, PoolFee: DefaultPoolFee,
		Uptime: DefaultUptime, PUE: DefaultMiningPUE, Pool: FPPS}
}

func (p Mining) ProfileName() string { return p.Name }

// Validate reports every problem with p at once.
func (p Mining) Validate() error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	errs = append(errs, positive("hashrate", p.HashrateHS), positive("power", p.PowerW),
		fraction("pool-fee", p.PoolFee, true), uptime("uptime", p.Uptime), pue(p.PUE), p.Capital.Validate())
	if p.Pool != "" && p.Pool != FPPS && p.Pool != PPS {
		errs = append(errs, fmt.Errorf("pool %q is not fpps or pps", p.Pool))
	}
	return wrapProfile(p.Name, errs)
}

// JPerTH is the device efficiency at the wall (PUE excluded, as vendors quote it).
func (p Mining) JPerTH() float64 { return p.PowerW / (p.HashrateHS / 1e12) }

// BTCPerDay is the expected BTC/day after pool fee and downtime:
// H × 86400 × reward / (difficulty × 2^32) × (1 − fee) × uptime.
func (p Mining) BTCPerDay(m Market) float64 {
	return p.HashrateHS * m.BTCPerHashDay(p.pool()) * (1 - p.PoolFee) * p.Uptime
}

func (p Mining) pool() PoolModel {
	if p.Pool == "" {
		return FPPS
	}
	return p.Pool
}

// Leasing is one GPU rented out by the hour.
type Leasing struct {
	Name              string
	RateUSDPerGPUHour float64
	// PowerW is all-in per GPU: the GPU's share of the whole server (CPUs,
	// NICs, NVSwitch, fans, PSU losses). Board power alone understates it by
	// roughly half: a DGX H100 draws 10.2 kW for 8 GPUs of 700 W each.
	PowerW      float64
	BoardPowerW float64 // optional GPU board power, to show the server overhead
	Utilization float64 // billed fraction of hours, 0..1
	PUE         float64
	Source      string
	Capital     Capital
}

// NewLeasing returns a leased GPU with default utilization and PUE.
func NewLeasing(name string, rateUSDPerGPUHour, powerW float64) Leasing {
	return Leasing{Name: name, RateUSDPerGPUHour: rateUSDPerGPUHour, PowerW: powerW,
		Utilization: DefaultUtilization, PUE: DefaultLeasingPUE}
}

func (p Leasing) ProfileName() string { return p.Name }

// Validate reports every problem with p at once.
func (p Leasing) Validate() error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	errs = append(errs, positive("rate", p.RateUSDPerGPUHour), positive("power", p.PowerW),
		uptime("utilization", p.Utilization), pue(p.PUE), p.Capital.Validate())
	if p.BoardPowerW < 0 || p.BoardPowerW > p.PowerW && p.PowerW > 0 {
		errs = append(errs, fmt.Errorf("board power %v W must be between 0 and the all-in power %v W", p.BoardPowerW, p.PowerW))
	}
	return wrapProfile(p.Name, errs)
}

func positive(what string, v float64) error {
	if !(v > 0) || !finite(v) {
		return fmt.Errorf("%s must be positive, got %v", what, v)
	}
	return nil
}

// fraction accepts [0,1) (or [0,1] when closed is false).
func fraction(what string, v float64, open bool) error {
	if !(v >= 0) || v > 1 || (open && v == 1) {
		return fmt.Errorf("%s must be a fraction from 0 to 1, got %v", what, v)
	}
	return nil
}

func uptime(what string, v float64) error {
	if !(v > 0) || v > 1 {
		return fmt.Errorf("%s must be above 0 and at most 1, got %v", what, v)
	}
	return nil
}

func pue(v float64) error {
	if !(v >= 1) || v > 5 {
		return fmt.Errorf("pue must be from 1 to 5, got %v", v)
	}
	return nil
}

func wrapProfile(name string, errs []error) error {
	err := errors.Join(errs...)
	if err == nil {
		return nil
	}
	return fmt.Errorf("profile %q: %w", name, err)
}
