package collectors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perwatt/perwatt/economics/appraisal"
)

// ipmiSim is OpenIPMI's ipmi_sim serving IPMI over LAN on loopback, with
// DCMI power added by testdata/ipmisim/dcmi_power.c and a FRU naming the
// product. ipmitool is the reference reader.
type ipmiSim struct {
	t         *testing.T
	dir, addr string
	port      int
	power     string // the file the module reads the watts from
	cmd       *exec.Cmd
}

// needTools finds the simulator's tools. CI installs them (.ci/run);
// elsewhere their absence skips with the command that installs them.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if strings.HasPrefix(tool, "/") {
			if _, err := os.Stat(tool); err != nil {
				missing = append(missing, tool)
			}
		} else if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("missing %s (apt-get install openipmi ipmitool libopenipmi-dev gcc)", strings.Join(missing, ", "))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func startIPMISim(t *testing.T) *ipmiSim {
	t.Helper()
	needTools(t, "ipmi_sim", "ipmitool", "gcc", "/usr/include/OpenIPMI/mcserv.h")
	dir := t.TempDir()
	mod := filepath.Join(dir, "dcmi_power.so")
	src, _ := filepath.Abs(filepath.Join("testdata", "ipmisim", "dcmi_power.c"))
	if out, err := exec.Command("gcc", "-shared", "-fPIC", "-o", mod, src).CombinedOutput(); err != nil {
		t.Fatalf("building the DCMI module: %v\n%s", err, out)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	s := &ipmiSim{t: t, dir: dir, port: port, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), power: filepath.Join(dir, "power")}
	conf := fmt.Sprintf(`name "perwatt-test"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 %d
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
user 2 true "perwatt" "w4ll-p0wer" admin 10 none md2 md5 straight
loadlib %q %q
`, port, mod, s.power)
	emu, err := os.ReadFile(filepath.Join("testdata", "ipmisim", "sim.emu"))
	if err != nil {
		t.Fatal(err)
	}
	fru := fruProductArea("Dell Inc.", "PowerEdge R760xa")
	hex := make([]string, len(fru))
	for i, b := range fru {
		hex[i] = fmt.Sprintf("0x%02x", b)
	}
	// The FRU goes in before the MC is enabled.
	emuText := strings.Replace(string(emu), "mc_enable 0x20",
		fmt.Sprintf("mc_add_fru_data 0x20 0 %d data %s\nmc_enable 0x20", len(fru), strings.Join(hex, " ")), 1)
	for name, body := range map[string]string{"lan.conf": conf, "sim.emu": emuText} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.setPower("412")
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *ipmiSim) start() {
	s.t.Helper()
	s.cmd = exec.Command("ipmi_sim", "-c", filepath.Join(s.dir, "lan.conf"), "-f", filepath.Join(s.dir, "sim.emu"),
		"-n", "-p", "-s", filepath.Join(s.dir, "state"))
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	// Ready when ipmitool gets an answer.
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := s.ipmitool("mc", "info"); err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatal("ipmi_sim did not answer ipmitool within 15s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *ipmiSim) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

func (s *ipmiSim) setPower(v string) {
	s.t.Helper()
	if err := os.WriteFile(s.power, []byte(v+"\n"), 0o600); err != nil {
		s.t.Fatal(err)
	}
}

// ipmitool runs the reference reader against the simulator (-C 3: ipmi_sim
// does not answer Get Channel Cipher Suites, which ipmitool asks first).
func (s *ipmiSim) ipmitool(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	base := []string{"-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", strconv.Itoa(s.port), "-U", "perwatt", "-P", "w4ll-p0wer", "-N", "1", "-R", "1"}
	out, err := exec.CommandContext(ctx, "ipmitool", append(base, args...)...).CombinedOutput()
	return string(out), err
}

var ipmitoolPower = regexp.MustCompile(`Instantaneous power reading:\s+(\d+) Watts`)

func (s *ipmiSim) referenceWatts() float64 {
	s.t.Helper()
	out, err := s.ipmitool("dcmi", "power", "reading")
	m := ipmitoolPower.FindStringSubmatch(out)
	if err != nil || m == nil {
		s.t.Fatalf("ipmitool dcmi power reading: %v\n%s", err, out)
	}
	w, _ := strconv.ParseFloat(m[1], 64)
	return w
}

// fruProductArea builds a FRU with only a product info area (IPMI Platform
// Management FRU Information Storage Definition v1.0, sections 8 and 11).
func fruProductArea(manufacturer, product string) []byte {
	tl := func(s string) []byte { return append([]byte{0xc0 | byte(len(s))}, s...) }
	area := []byte{0x01, 0, 0x00}
	area = append(area, tl(manufacturer)...)
	area = append(area, tl(product)...)
	area = append(area, 0xc0, 0xc0, 0xc0, 0xc0, 0xc0, 0xc1) // part, version, serial, asset, file id, end
	for (len(area)+1)%8 != 0 {
		area = append(area, 0)
	}
	area[1] = byte((len(area) + 1) / 8)
	area = append(area, zeroSum(area))
	hdr := []byte{0x01, 0, 0, 0, 1, 0, 0}
	hdr = append(hdr, zeroSum(hdr))
	return append(hdr, area...)
}

func zeroSum(b []byte) byte {
	var s byte
	for _, x := range b {
		s += x
	}
	return -s
}

func TestIPMIAgainstIPMISim(t *testing.T) {
	sim := startIPMISim(t)
	c := NewIPMI(IPMIOptions{Address: sim.addr, Username: "perwatt", Password: "w4ll-p0wer", CipherSuite: 3, Timeout: time.Second}, discard())
	defer c.Close()
	ctx := context.Background()

	pts, err := c.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := sim.referenceWatts()
	if len(pts) != 1 || pts[0].Measurement != "host_power" || pts[0].Fields["power_w"] != want {
		t.Fatalf("points %v, want one host_power with power_w %v (ipmitool)", pts, want)
	}
	if p := pts[0]; p.Tags["source"] != "ipmi" || p.Tags["bmc"] != sim.addr || p.Tags["model"] != "PowerEdge R760xa" ||
		p.Fields["power_min_w"] != want-1 || p.Fields["power_max_w"] != want+1 {
		t.Errorf("point %v %v", p.Tags, p.Fields)
	}
	rs := c.Readings()
	if len(rs) != 1 {
		t.Fatalf("Readings = %v, want one", rs)
	}
	if r := rs[0]; r.Kind != appraisal.KindHost || r.ID != sim.addr || r.Model != "PowerEdge R760xa" ||
		r.PowerW != want || r.PowerSource != appraisal.PowerWall || r.At.IsZero() {
		t.Errorf("reading %+v", r)
	}

	// The BMC's meter busy: a failure, not absence; no reading meanwhile.
	sim.setPower("fail")
	if _, err := c.Collect(ctx); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("busy BMC: err = %v, want a failure", err)
	}
	if rs := c.Readings(); len(rs) != 0 {
		t.Errorf("Readings after a failed read = %v, want none", rs)
	}
	// ... and it ends by itself: a new session, the new value.
	sim.setPower("530")
	if _, err := c.Collect(ctx); err != nil {
		t.Fatalf("after the fault ended: %v", err)
	}
	if got, want := c.Readings(), sim.referenceWatts(); len(got) != 1 || got[0].PowerW != want || want != 530 {
		t.Errorf("after recovery: %v, ipmitool says %v", got, want)
	}

	// The BMC goes away and comes back: errors meanwhile, then readings again.
	sim.stop()
	if _, err := c.Collect(ctx); err == nil {
		t.Fatal("no error with the BMC gone")
	}
	sim.start()
	if _, err := c.Collect(ctx); err != nil {
		t.Fatalf("BMC back, collector not: %v", err)
	}

	// A BMC without a power meter is absent hardware, said with the fix.
	if err := os.Remove(sim.power); err != nil {
		t.Fatal(err)
	}
	_, err = c.Collect(ctx)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "enabled = false") {
		t.Fatalf("no meter: err = %v, want ErrUnavailable with the fix", err)
	}
}

func TestIPMIWrongPasswordIsAFailureThatHidesThePassword(t *testing.T) {
	sim := startIPMISim(t)
	c := NewIPMI(IPMIOptions{Address: sim.addr, Username: "perwatt", Password: "not-the-password", CipherSuite: 3, Timeout: time.Second}, discard())
	defer c.Close()
	_, err := c.Collect(context.Background())
	if err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want an authentication failure", err)
	}
	if strings.Contains(err.Error(), "not-the-password") || !strings.Contains(err.Error(), sim.addr) {
		t.Errorf("error must name the BMC and never the password: %v", err)
	}
}

func TestIPMIInBandWithoutDeviceIsAbsent(t *testing.T) {
	c := NewIPMI(IPMIOptions{Device: filepath.Join(t.TempDir(), "ipmi0")}, discard())
	_, err := c.Collect(context.Background())
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "modprobe ipmi_si ipmi_devintf") {
		t.Fatalf("err = %v, want ErrUnavailable naming the driver fix", err)
	}
	if rs := c.Readings(); len(rs) != 0 {
		t.Errorf("Readings = %v, want none", rs)
	}
}
