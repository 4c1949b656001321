package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/perwatt/perwatt/economics"
)

func newEconClaimCmd(a *app, mf *marketFlags) *cobra.Command {
	var (
		gpu     string
		gpuMW   float64
		miners  []string
		outlook outlookFlags
	)
	cmd := &cobra.Command{
		Use:   "claim",
		Short: `Answer "10 MW of H100 earns as much as 100 MW of Bitcoin mining" on revenue, net of power and NPV`,
		Long: `claim states how many MW of each miner earn what --gpu-mw MW of the GPU earns,
three ways: on revenue, on net of power, and on net of capital (NPV of the
yearly cash flows over each one's life, capex included). Where one side loses
money on a basis, that basis prints n/a with the reason. Every assumption is
printed: the market and its age, the power price, each profile's figures and
its capital terms with their sources.

  --gpu SPEC     as for 'perwatt econ --gpu' (default: the catalogue H100)
  --miner SPEC   repeatable (default: every catalogue miner)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, err := economics.ParseLeasingSpec(gpu)
			if err != nil {
				return usagef("--gpu %q: %w", gpu, err)
			}
			ms := economics.Miners()
			if len(miners) > 0 {
				ms = ms[:0]
				for _, s := range miners {
					p, err := economics.ParseMiningSpec(s)
					if err != nil {
						return usagef("--miner %q: %w", s, err)
					}
					ms = append(ms, p)
				}
			}
			if !(gpuMW > 0) {
				return usagef("--gpu-mw %v: must be positive", gpuMW)
			}
			m, err := mf.resolve(a)
			if err != nil {
				return err
			}
			price, err := mf.powerPrice(a)
			if err != nil {
				return err
			}
			now := time.Now()
			as, err := outlook.assumptions(a, m.market, price, now)
			if err != nil {
				return err
			}
			warnInputs(a, &econFlags{gpus: []string{gpu}, miners: miners}, m.market, price)
			// The configured financing and hosting apply as they do in 'econ --capital'.
			ps := withConfiguredCapital(a, []economics.Profile{g})
			g = ps[0].(economics.Leasing)
			for i, p := range withConfiguredCapital(a, minersAsProfiles(ms)) {
				ms[i] = p.(economics.Mining)
			}
			c, err := economics.ClaimEquivalence(g, gpuMW, ms, m.market, as, now)
			if err != nil {
				return usageError{err}
			}
			return a.render(claimView{Claim: c, MarketNote: m.note})
		},
	}
	fl := cmd.Flags()
	fl.Var(newOnceString(&gpu, "name=H100"), "gpu", "GPU SPEC, as for 'perwatt econ --gpu' (one)")
	fl.Float64Var(&gpuMW, "gpu-mw", 10, "MW of facility power of the GPU side of the claim")
	fl.StringArrayVar(&miners, "miner", nil, "miner SPEC (repeatable; default: every catalogue miner)")
	outlook.register(fl)
	return cmd
}

func minersAsProfiles(ms []economics.Mining) []economics.Profile {
	out := make([]economics.Profile, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

// claimView adds where the market data came from.
type claimView struct {
	economics.Claim
	MarketNote string `json:"market_note"`
}
