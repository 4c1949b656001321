//go:build cgo

package collectors

// reasonsCall says which clocks-event (throttle) reasons call the driver
// has: nvmlDeviceGetCurrentClocksEventReasons first appears in R535, the
// older name is deprecated and may go; calling a symbol the library lacks
// ends the process ("undefined symbol", exit 127), so it is looked up first.
type reasonsCall int

const (
	reasonsNone reasonsCall = iota
	reasonsEvent
	reasonsThrottle
)

const (
	symClocksEventReasons    = "nvmlDeviceGetCurrentClocksEventReasons"
	symClocksThrottleReasons = "nvmlDeviceGetCurrentClocksThrottleReasons"
	symFieldValues           = "nvmlDeviceGetFieldValues"
	symTotalEnergy           = "nvmlDeviceGetTotalEnergyConsumption"
)

// lookupSymbols records which optional entry points the loaded library has.
// go-nvml resolves symbols lazily, so a missing one is only found by asking.
func (n *NVML) lookupSymbols() {
	ext := n.lib.Extensions()
	has := func(sym string) bool {
		if ext == nil {
			return true
		}
		err := ext.LookupSymbol(sym)
		if err != nil {
			n.log.Debug("driver lacks an NVML entry point; reading skipped", "symbol", sym, "err", err)
		}
		return err == nil
	}
	switch {
	case has(symClocksEventReasons):
		n.reasons = reasonsEvent
	case has(symClocksThrottleReasons):
		n.reasons = reasonsThrottle
	default:
		n.reasons = reasonsNone
	}
	n.noFieldsCall = !has(symFieldValues)
	n.noEnergyCall = !has(symTotalEnergy)
}

// optionalFailed notes a best-effort reading that failed, logging only the
// start of a run of failures.
func (n *NVML) optionalFailed(g *gpuDevice, what string, err error) {
	if g.failing == nil {
		g.failing = map[string]bool{}
	}
	if !g.failing[what] {
		g.failing[what] = true
		n.log.Debug("optional GPU reading failed; left out until it answers", "gpu", g.info.Index, "reading", what, "err", err)
	}
}

// optionalOK notes a best-effort reading that answered, logging the end of
// a run of failures.
func (n *NVML) optionalOK(g *gpuDevice, what string) {
	if g.failing[what] {
		delete(g.failing, what)
		n.log.Debug("optional GPU reading answers again", "gpu", g.info.Index, "reading", what)
	}
}
