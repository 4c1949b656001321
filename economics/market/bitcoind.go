package market

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/perwatt/perwatt/economics"
)

// PriceSource gives the BTC/USD price and when it was set. A node knows the
// chain but no prices, so Bitcoind takes one.
type PriceSource interface {
	PriceUSD(ctx context.Context) (float64, time.Time, error)
}

// PriceUSD reads /api/v1/prices.
func (m Mempool) PriceUSD(ctx context.Context) (float64, time.Time, error) {
	var pr mempoolPrices
	if err := newGetter("mempool.space", m.BaseURL, m.Client).getJSON(ctx, "/api/v1/prices", &pr); err != nil {
		return 0, time.Time{}, err
	}
	if pr.USD == nil || pr.Time == nil {
		return 0, time.Time{}, &FieldError{Source: "mempool.space", Field: "USD/time", Value: nil, Reason: "is missing from /api/v1/prices"}
	}
	return *pr.USD, time.Unix(*pr.Time, 0).UTC(), nil
}

// PriceUSD reads /q/24hrprice, dated now (the API gives no time).
func (b Blockchain) PriceUSD(ctx context.Context) (float64, time.Time, error) {
	p, err := newGetter("blockchain.info", b.BaseURL, b.Client).getFloat(ctx, "/q/24hrprice", "24hrprice")
	if err != nil {
		return 0, time.Time{}, err
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	return p, now().UTC(), nil
}

// Bitcoind reads difficulty, height and fees from the operator's own Bitcoin
// Core node over JSON-RPC (getblockchaininfo, then getblockstats totalfee for
// the last Blocks blocks in one batch) and the price from Price. User and
// Password (or Core's cookie) are sent as basic auth and never printed.
type Bitcoind struct {
	URL      string
	User     string
	Password string
	Blocks   int // default 144
	Client   *http.Client
	Price    PriceSource
}

func (b Bitcoind) Name() string { return "bitcoind (" + b.URL + ")" }

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

// Fetch reads the chain from the node and the price from b.Price; the
// snapshot is dated by the price.
func (b Bitcoind) Fetch(ctx context.Context) (Snapshot, error) {
	const src = "bitcoind"
	if b.Price == nil {
		return Snapshot{}, errors.New("bitcoind: no price source configured")
	}
	n := b.Blocks
	if n <= 0 {
		n = 144
	}
	res, err := b.call(ctx, []rpcRequest{{JSONRPC: "1.0", ID: 0, Method: "getblockchaininfo", Params: []any{}}})
	if err != nil {
		return Snapshot{}, err
	}
	var info struct {
		Blocks     *int64   `json:"blocks"`
		Difficulty *float64 `json:"difficulty"`
	}
	if err := json.Unmarshal(res[0].Result, &info); err != nil || info.Blocks == nil || info.Difficulty == nil {
		return Snapshot{}, &FieldError{Source: src, Field: "blocks/difficulty", Value: snippet(res[0].Result), Reason: "missing from getblockchaininfo"}
	}
	first := max(*info.Blocks-int64(n)+1, 1)
	var reqs []rpcRequest
	for h := first; h <= *info.Blocks; h++ {
		reqs = append(reqs, rpcRequest{JSONRPC: "1.0", ID: int(h - first + 1), Method: "getblockstats", Params: []any{h, []string{"totalfee"}}})
	}
	stats, err := b.call(ctx, reqs)
	if err != nil {
		return Snapshot{}, err
	}
	var totalSat int64
	for i, r := range stats {
		var st struct {
			TotalFee *int64 `json:"totalfee"`
		}
		if err := json.Unmarshal(r.Result, &st); err != nil || st.TotalFee == nil {
			return Snapshot{}, &FieldError{Source: src, Field: fmt.Sprintf("totalfee of block %d", first+int64(i)), Value: snippet(r.Result), Reason: "missing from getblockstats"}
		}
		totalSat += *st.TotalFee
	}
	price, at, err := b.Price.PriceUSD(ctx)
	if err != nil {
		return Snapshot{}, fmt.Errorf("bitcoind price: %w", err)
	}
	return Snapshot{Source: src, AsOf: at, Height: *info.Blocks, Difficulty: *info.Difficulty, BTCPriceUSD: price,
		FeesBTCPerBlock: float64(totalSat) / float64(len(stats)) / economics.SatPerBTC}, nil
}
