// Package metric is the one representation of a measurement that every part of
// perwatt produces and every sink consumes: an InfluxDB point with its own
// timestamp, taken when the value was measured.
package metric

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// Point is one measurement. Field values are float64, int64, uint64, bool or
// string; anything else is rejected when the point is encoded.
type Point struct {
	Measurement string
	Tags        map[string]string
	Fields      map[string]any
	Time        time.Time
}

// New builds a point; tags and fields are used as given (not copied).
func New(measurement string, tags map[string]string, fields map[string]any, t time.Time) Point {
	return Point{Measurement: measurement, Tags: tags, Fields: fields, Time: t}
}

// WithTags returns a copy of p whose tag set also holds extra. Tags already on
// the point win: a collector knows its own device better than the global config.
func (p Point) WithTags(extra map[string]string) Point {
	if len(extra) == 0 {
		return p
	}
	tags := make(map[string]string, len(p.Tags)+len(extra))
	maps.Copy(tags, extra)
	maps.Copy(tags, p.Tags)
	p.Tags = tags
	return p
}

// Validate reports why p cannot be written, or nil.
func (p Point) Validate() error {
	if p.Measurement == "" {
		return fmt.Errorf("point has no measurement name")
	}
	if len(p.Fields) == 0 {
		return fmt.Errorf("point %q has no fields", p.Measurement)
	}
	if p.Time.IsZero() {
		return fmt.Errorf("point %q has no timestamp", p.Measurement)
	}
	for _, k := range slices.Sorted(maps.Keys(p.Fields)) {
		switch v := p.Fields[k].(type) {
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("point %q field %q is %v, which InfluxDB cannot store", p.Measurement, k, v)
			}
		case int64, uint64, bool, string:
		default:
			return fmt.Errorf("point %q field %q has unsupported type %T", p.Measurement, k, v)
		}
	}
	return nil
}
