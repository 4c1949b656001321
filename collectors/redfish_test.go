package collectors

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/perwatt/perwatt/economics/appraisal"
	"github.com/perwatt/perwatt/internal/metric"
)

func base64Lines(der []byte) string {
	s := base64.StdEncoding.EncodeToString(der)
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	return b.String() + s + "\n"
}

func newTestRedfish(t *testing.T, bmc *fakeBMC, mod func(*RedfishOptions)) *Redfish {
	t.Helper()
	o := RedfishOptions{URL: bmc.srv.URL, Username: bmc.user, Password: bmc.pw, TLSCA: bmc.caFile(t), Timeout: 5 * time.Second}
	if mod != nil {
		mod(&o)
	}
	r, err := NewRedfish(o, discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func TestRedfishCurrentModel(t *testing.T) {
	bmc := newFakeBMC(t, "rackmount")
	r := newTestRedfish(t, bmc, nil)
	pts, err := r.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	host := bmc.srv.Listener.Addr().String()
	hp, ok := find(pts, "host_power", "chassis", "1U")
	if !ok {
		t.Fatalf("no host_power for chassis 1U: %v", pts)
	}
	// EnvironmentMetrics wins over the deprecated PowerControl (1860).
	approx(t, "power_w", hp.Fields["power_w"], 1862.5)
	if hp.Tags["source"] != "redfish" || hp.Tags["bmc"] != host || hp.Tags["model"] != "3500RX" {
		t.Errorf("host_power tags %v", hp.Tags)
	}
	b1, _ := find(pts, "host_psu", "psu", "Bay1")
	approx(t, "Bay1 input_power_w", b1.Fields["input_power_w"], 937.4)
	approx(t, "Bay1 output_power_w", b1.Fields["output_power_w"], 901.2)
	approx(t, "Bay1 input_voltage_v", b1.Fields["input_voltage_v"], 230.2)
	b2, _ := find(pts, "host_psu", "psu", "Bay2")
	approx(t, "Bay2 input_power_w", b2.Fields["input_power_w"], 925.1)
	if _, ok := find(pts, "host_power", "chassis", "Drawer"); ok {
		t.Error("a chassis without power produced a point")
	}
	rs := r.Readings()
	if len(rs) != 1 {
		t.Fatalf("Readings = %v", rs)
	}
	if x := rs[0]; x.Kind != appraisal.KindHost || x.ID != host || x.Model != "3500RX" || x.PowerW != 1862.5 ||
		x.PowerSource != appraisal.PowerWall || x.At.IsZero() {
		t.Errorf("reading %+v", x)
	}
	// Links are discovered once: a second round reads only the readings.
	before := bmc.gets.Load()
	if _, err := r.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := bmc.gets.Load() - before; n != 3 {
		t.Errorf("a steady round made %d GETs, want 3 (EnvironmentMetrics and two PSU metrics)", n)
	}
	if bmc.logins.Load() != 1 {
		t.Errorf("%d logins, want one session reused", bmc.logins.Load())
	}
	validAll(t, pts)
}

func TestRedfishLegacyPowerWithMalformedValues(t *testing.T) {
	bmc := newFakeBMC(t, "legacy")
	bmc.basicOnly = true
	r := newTestRedfish(t, bmc, func(o *RedfishOptions) { o.Auth = "basic" })
	pts, err := r.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hp, _ := find(pts, "host_power", "chassis", "System.Embedded.1")
	approx(t, "power_w", hp.Fields["power_w"], 6123)
	approx(t, "power_avg_w", hp.Fields["power_avg_w"], 6090)
	approx(t, "power_capacity_w", hp.Fields["power_capacity_w"], 11200)
	p1, _ := find(pts, "host_psu", "psu", "PSU.Slot.1")
	approx(t, "PSU1 input_power_w", p1.Fields["input_power_w"], 1540)
	p3, _ := find(pts, "host_psu", "psu", "PSU.Slot.3")
	for _, k := range []string{"input_power_w", "output_power_w", "input_voltage_v"} {
		if v, ok := p3.Fields[k]; ok {
			t.Errorf("PSU3 %s = %v from a null or \"N/A\"; want no field", k, v)
		}
	}
	p4, _ := find(pts, "host_psu", "psu", "PSU.Slot.4")
	approx(t, "PSU4 output_power_w (LastPowerOutputWatts)", p4.Fields["output_power_w"], 1490)
	if rs := r.Readings(); len(rs) != 1 || rs[0].Model != "PowerEdge XE9680" || rs[0].PowerW != 6123 {
		t.Errorf("Readings = %+v", rs)
	}
	validAll(t, pts)
}

func TestRedfishSessionExpiresAndBMCFaultEnds(t *testing.T) {
	bmc := newFakeBMC(t, "rackmount")
	r := newTestRedfish(t, bmc, nil)
	ctx := context.Background()
	if _, err := r.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	// The BMC forgets its sessions (reboot, timeout): one fresh login.
	bmc.expireSessions()
	if _, err := r.Collect(ctx); err != nil {
		t.Fatalf("after the session expired: %v", err)
	}
	if n := bmc.logins.Load(); n != 2 {
		t.Errorf("%d logins, want 2", n)
	}
	// The BMC fails: an error naming it and its message, no reading.
	bmc.failing.Store(true)
	_, err := r.Collect(ctx)
	if err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "temporarily unavailable") {
		t.Fatalf("err = %v, want the BMC's 503 with its message", err)
	}
	if rs := r.Readings(); len(rs) != 0 {
		t.Errorf("Readings during the fault = %v", rs)
	}
	// ... and recovers: readings again, without intervention.
	bmc.failing.Store(false)
	if _, err := r.Collect(ctx); err != nil {
		t.Fatalf("after the fault ended: %v", err)
	}
	if rs := r.Readings(); len(rs) != 1 || rs[0].PowerW != 1862.5 {
		t.Errorf("Readings after recovery = %v", rs)
	}
	// A reading that turns into garbage is no reading, and is said.
	bmc.setBody("/redfish/v1/Chassis/1U/EnvironmentMetrics", `{"PowerWatts":{"Reading":null}}`)
	bmc.setBody("/redfish/v1/Chassis/1U/Power", `{"PowerControl":[{"PowerConsumedWatts":"N/A"}]}`)
	if _, err := r.Collect(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("no chassis power: err = %v, want ErrUnavailable", err)
	}
	if err := r.Close(); err != nil || bmc.logouts.Load() != 1 {
		t.Errorf("Close: %v, %d logouts; want the session deleted", err, bmc.logouts.Load())
	}
}

func TestRedfishTLSAndCredentials(t *testing.T) {
	bmc := newFakeBMC(t, "rackmount")
	// Verified by default: the test server's self-signed certificate is refused.
	r := newTestRedfish(t, bmc, func(o *RedfishOptions) { o.TLSCA = "" })
	_, err := r.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("unverified TLS accepted: %v", err)
	}
	// insecure_skip_verify is the operator's explicit choice.
	r = newTestRedfish(t, bmc, func(o *RedfishOptions) { o.TLSCA = ""; o.InsecureSkipVerify = true })
	if _, err := r.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A wrong password is a failure that names the user, never the password.
	r = newTestRedfish(t, bmc, func(o *RedfishOptions) { o.Password = "hunter2-wrong" })
	_, err = r.Collect(context.Background())
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), `"root"`) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := NewRedfish(RedfishOptions{URL: "https://admin:s3cret@10.0.0.5"}, discard()); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("credentials in the URL: %v", err)
	}
}

func validAll(t *testing.T, pts []metric.Point) {
	t.Helper()
	for _, p := range pts {
		if err := p.Validate(); err != nil {
			t.Error(err)
		}
	}
}
