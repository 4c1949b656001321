package market

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/perwatt/perwatt/economics"
)

// Bitcoind reads difficulty, height, tip time and fees from the operator's
// own Bitcoin Core node over JSON-RPC: getblockchaininfo, then getblockstats
// totalfee for the last Blocks blocks in one batch. A node knows no prices:
// the resolver takes the price from the next source. User and Password (or
// Core's cookie) are sent as basic auth and never printed.
type Bitcoind struct {
	URL      string
	User     string
	Password string
	Blocks   int // default 144
	Client   *http.Client
}

func (b Bitcoind) Name() string { return "bitcoind (" + b.URL + ")" }

const srcBitcoind = "bitcoind"

// maxHeadersAhead is how many headers a synced node may know beyond the
// blocks it has validated: a block or two arrive while it checks them.
const maxHeadersAhead = 2

// chainInfo is what getblockchaininfo says about the tip.
type chainInfo struct {
	height     int64
	difficulty float64
	tipTime    time.Time
}

// parseChainInfo reads getblockchaininfo and refuses a node whose numbers
// would be wrong for mainnet revenue: another chain (test, testnet4, signet,
// regtest), initial block download, or headers well ahead of the blocks.
func parseChainInfo(raw []byte) (chainInfo, error) {
	var info struct {
		Chain      *string  `json:"chain"`
		Blocks     *int64   `json:"blocks"`
		Headers    *int64   `json:"headers"`
		Difficulty *float64 `json:"difficulty"`
		Time       *int64   `json:"time"`
		Median     *int64   `json:"mediantime"`
		IBD        *bool    `json:"initialblockdownload"`
	}
	if err := json.Unmarshal(raw, &info); err != nil || info.Blocks == nil || info.Difficulty == nil || info.Chain == nil {
		return chainInfo{}, &FieldError{Source: srcBitcoind, Field: "chain/blocks/difficulty", Value: snippet(raw), Reason: "missing from getblockchaininfo"}
	}
	var errs []error
	if *info.Chain != "main" {
		errs = append(errs, &FieldError{Source: srcBitcoind, Field: "chain", Value: strconv.Quote(*info.Chain),
			Reason: "is not mainnet: its difficulty, height and subsidy say nothing about mining revenue"})
	}
	if info.IBD != nil && *info.IBD {
		errs = append(errs, &FieldError{Source: srcBitcoind, Field: "initialblockdownload", Value: true,
			Reason: fmt.Sprintf("the node is still syncing (at block %d); its tip is not the network's", *info.Blocks)})
	}
	if info.Headers != nil && *info.Headers-*info.Blocks > maxHeadersAhead {
		errs = append(errs, &FieldError{Source: srcBitcoind, Field: "headers", Value: *info.Headers,
			Reason: fmt.Sprintf("is %d ahead of blocks %d: the node is catching up", *info.Headers-*info.Blocks, *info.Blocks)})
	}
	if !(*info.Difficulty > 0) || math.IsInf(*info.Difficulty, 0) {
		errs = append(errs, &FieldError{Source: srcBitcoind, Field: "difficulty", Value: *info.Difficulty, Reason: "must be positive"})
	}
	// "time" is the tip's block time (Core 23+); older nodes give only
	// mediantime, which lags the tip by about an hour.
	var tip time.Time
	switch {
	case info.Time != nil && *info.Time > 0:
		tip = time.Unix(*info.Time, 0).UTC()
	case info.Median != nil && *info.Median > 0:
		tip = time.Unix(*info.Median, 0).UTC()
	default:
		errs = append(errs, fmt.Errorf("%s getblockchaininfo: tip time %w (neither time nor mediantime)", srcBitcoind, ErrNotProvided))
	}
	if err := errors.Join(errs...); err != nil {
		return chainInfo{}, err
	}
	return chainInfo{height: *info.Blocks, difficulty: *info.Difficulty, tipTime: tip}, nil
}

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      int    `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type rpcResponse struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// call sends a batch and returns the responses in request order.
func (b Bitcoind) call(ctx context.Context, reqs []rpcRequest) ([]rpcResponse, error) {
	body, _ := json.Marshal(reqs)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("bitcoind: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if b.User != "" || b.Password != "" {
		req.SetBasicAuth(b.User, b.Password)
	}
	client := b.Client
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bitcoind: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4*maxBody))
	if err != nil {
		return nil, fmt.Errorf("bitcoind: reading answer: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("bitcoind: HTTP %d: the RPC user and password (or cookie) were refused", resp.StatusCode)
	case resp.StatusCode != http.StatusOK && len(raw) == 0:
		return nil, fmt.Errorf("bitcoind: HTTP %d", resp.StatusCode)
	}
	var out []rpcResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("bitcoind: answer is not a JSON-RPC batch (%v): %s", err, snippet(raw))
	}
	byID := make(map[int]rpcResponse, len(out))
	for _, r := range out {
		byID[r.ID] = r
	}
	ordered := make([]rpcResponse, len(reqs))
	var errs []error
	for i, q := range reqs {
		r, ok := byID[q.ID]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("bitcoind: no answer to %s %v", q.Method, q.Params))
		case r.Error != nil:
			errs = append(errs, fmt.Errorf("bitcoind: %s %v: error %d: %s", q.Method, q.Params, r.Error.Code, r.Error.Message))
		}
		ordered[i] = r
	}
	return ordered, errors.Join(errs...)
}

// Fetch reads the chain and the fees from the node; the price is left for
// the next source. The fee average is over the blocks the node answered for
// (a pruned node may have dropped some).
func (b Bitcoind) Fetch(ctx context.Context) (Snapshot, error) {
	s := Snapshot{Source: srcBitcoind}
	n := b.Blocks
	if n <= 0 {
		n = 144
	}
	res, err := b.call(ctx, []rpcRequest{{JSONRPC: "1.0", ID: 0, Method: "getblockchaininfo", Params: []any{}}})
	if err != nil {
		return s, err
	}
	info, err := parseChainInfo(res[0].Result)
	if err != nil {
		return s, err
	}
	s.Height, s.Difficulty, s.TipTime = info.height, info.difficulty, info.tipTime
	s.Origins.Difficulty, s.Origins.Height = FromBitcoind, FromBitcoind
	first := max(info.height-int64(n)+1, 1)
	var reqs []rpcRequest
	for h := first; h <= info.height; h++ {
		reqs = append(reqs, rpcRequest{JSONRPC: "1.0", ID: int(h - first + 1), Method: "getblockstats", Params: []any{h, []string{"totalfee"}}})
	}
	stats, callErr := b.call(ctx, reqs)
	var totalSat int64
	var blocks int
	var errs []error
	for i, r := range stats {
		if r.Error != nil || r.Result == nil {
			continue // reported by call
		}
		var st struct {
			TotalFee *int64 `json:"totalfee"`
		}
		if err := json.Unmarshal(r.Result, &st); err != nil || st.TotalFee == nil || *st.TotalFee < 0 {
			errs = append(errs, &FieldError{Source: srcBitcoind, Field: fmt.Sprintf("totalfee of block %d", first+int64(i)), Value: snippet(r.Result), Reason: "missing or negative in getblockstats"})
			continue
		}
		totalSat += *st.TotalFee
		blocks++
	}
	if blocks == 0 || len(errs) > 0 {
		return s, errors.Join(append(errs, callErr)...)
	}
	s.FeesBTCPerBlock, s.FeeBlocks, s.Origins.FeesBTCPerBlock = float64(totalSat)/float64(blocks)/economics.SatPerBTC, blocks, FromBitcoind
	return s, nil
}
