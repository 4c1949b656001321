package market

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/perwatt/perwatt/economics"
)

// Mempool reads a mempool.space instance: the public one or a self-hosted one
// (BaseURL without the /api suffix).
type Mempool struct {
	BaseURL string
	Client  *http.Client
}

func (m Mempool) Name() string { return "mempool.space (" + m.BaseURL + ")" }

type mempoolHashrate struct {
	CurrentDifficulty *float64 `json:"currentDifficulty"`
}

type mempoolRewardStats struct {
	StartBlock  *int64 `json:"startBlock"`
	EndBlock    *int64 `json:"endBlock"`
	TotalReward string `json:"totalReward"` // satoshis, subsidy + fees
	TotalFee    string `json:"totalFee"`    // satoshis
}

type mempoolDifficultyAdjustment struct {
	DifficultyChange   *float64 `json:"difficultyChange"` // percent
	NextRetargetHeight int64    `json:"nextRetargetHeight"`
}

type mempoolPrices struct {
	Time *int64   `json:"time"`
	USD  *float64 `json:"USD"`
}

// Fetch reads difficulty (/api/v1/mining/hashrate/3d currentDifficulty), tip
// height, the average fee per block over the last 144 blocks and BTC/USD. The
// snapshot is dated by the price's own timestamp, the oldest part of it.
func (m Mempool) Fetch(ctx context.Context) (Snapshot, error) {
	src := "mempool.space"
	g := newGetter(src, m.BaseURL, m.Client)
	var errs []error

	var hr mempoolHashrate
	if err := g.getJSON(ctx, "/api/v1/mining/hashrate/3d", &hr); unreachable(err) {
		return Snapshot{}, err // no point asking the same dead host three more times
	} else if err != nil {
		errs = append(errs, err)
	} else if hr.CurrentDifficulty == nil {
		errs = append(errs, &FieldError{Source: src, Field: "currentDifficulty", Value: nil, Reason: "is missing from /api/v1/mining/hashrate/3d"})
	}
	height, err := g.getFloat(ctx, "/api/blocks/tip/height", "tip height")
	if err != nil {
		errs = append(errs, err)
	}
	var rs mempoolRewardStats
	var fees float64
	if err := g.getJSON(ctx, "/api/v1/mining/reward-stats/144", &rs); err != nil {
		errs = append(errs, err)
	} else if f, err := rewardStatsFees(src, rs); err != nil {
		errs = append(errs, err)
	} else {
		fees = f
	}
	var pr mempoolPrices
	if err := g.getJSON(ctx, "/api/v1/prices", &pr); err != nil {
		errs = append(errs, err)
	} else if pr.USD == nil || pr.Time == nil {
		errs = append(errs, &FieldError{Source: src, Field: "USD/time", Value: nil, Reason: "is missing from /api/v1/prices"})
	}
	if err := errors.Join(errs...); err != nil {
		return Snapshot{}, err
	}
	s := Snapshot{Source: src, AsOf: time.Unix(*pr.Time, 0).UTC(), Height: int64(height),
		Difficulty: *hr.CurrentDifficulty, BTCPriceUSD: *pr.USD, FeesBTCPerBlock: fees}
	// The retarget estimate is a courtesy: without it the snapshot is complete.
	var da mempoolDifficultyAdjustment
	if err := g.getJSON(ctx, "/api/v1/difficulty-adjustment", &da); err == nil && da.DifficultyChange != nil {
		s.NextRetargetHeight, s.ExpectedDifficultyChange = da.NextRetargetHeight, da.DifficultyChange
	}
	return s, nil
}

// rewardStatsFees turns reward-stats (satoshi strings) into BTC of fees per
// block, checking that totalReward covers totalFee (it includes the fees).
func rewardStatsFees(src string, rs mempoolRewardStats) (float64, error) {
	fee, err1 := satString(src, "totalFee", rs.TotalFee)
	reward, err2 := satString(src, "totalReward", rs.TotalReward)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	blocks := int64(144)
	if rs.StartBlock != nil && rs.EndBlock != nil && *rs.EndBlock >= *rs.StartBlock {
		blocks = *rs.EndBlock - *rs.StartBlock + 1
	}
	if fee < 0 {
		return 0, &FieldError{Source: src, Field: "totalFee", Value: fee, Reason: "must not be negative"}
	}
	if reward < fee {
		return 0, &FieldError{Source: src, Field: "totalReward", Value: reward,
			Reason: "is less than totalFee " + strconv.FormatInt(fee, 10) + " though it includes the fees"}
	}
	return float64(fee) / float64(blocks) / economics.SatPerBTC, nil
}

// Blockchain reads blockchain.info's query API, the fallback source. Its
// /stats fee total has been seen negative, so it is validated like the rest.
type Blockchain struct {
	BaseURL string
	Client  *http.Client
	// Now dates the snapshot when /stats has no timestamp.
	Now func() time.Time
}

func (b Blockchain) Name() string { return "blockchain.info (" + b.BaseURL + ")" }

type blockchainStats struct {
	TotalFeesSat *float64 `json:"total_fees_btc"` // despite the name, satoshis
	BlocksMined  *float64 `json:"n_blocks_mined"`
	TimestampMS  *float64 `json:"timestamp"`
}

// Fetch reads /q/getdifficulty, /q/24hrprice, /q/getblockcount and the 24-hour
// fee total from /stats.
func (b Blockchain) Fetch(ctx context.Context) (Snapshot, error) {
	src := "blockchain.info"
	g := newGetter(src, b.BaseURL, b.Client)
	var errs []error
	diff, err := g.getFloat(ctx, "/q/getdifficulty", "difficulty")
	if unreachable(err) {
		return Snapshot{}, err
	}
	errs = append(errs, err)
	price, err := g.getFloat(ctx, "/q/24hrprice", "24hrprice")
	errs = append(errs, err)
	height, err := g.getFloat(ctx, "/q/getblockcount", "blockcount")
	errs = append(errs, err)
	var st blockchainStats
	var fees float64
	asOf := time.Time{}
	if err := g.getJSON(ctx, "/stats?format=json", &st); err != nil {
		errs = append(errs, err)
	} else if st.TotalFeesSat == nil || st.BlocksMined == nil || *st.BlocksMined <= 0 {
		errs = append(errs, &FieldError{Source: src, Field: "total_fees_btc/n_blocks_mined", Value: nil, Reason: "missing or zero in /stats"})
	} else {
		fees = *st.TotalFeesSat / *st.BlocksMined / economics.SatPerBTC
		if st.TimestampMS != nil {
			asOf = time.UnixMilli(int64(*st.TimestampMS)).UTC()
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Snapshot{}, err
	}
	if asOf.IsZero() && b.Now != nil {
		asOf = b.Now().UTC()
	}
	return Snapshot{Source: src, AsOf: asOf, Height: int64(height), Difficulty: diff,
		BTCPriceUSD: price, FeesBTCPerBlock: fees}, nil
}
