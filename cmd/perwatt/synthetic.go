package main

import (
	"github.com/perwatt/perwatt/economics"
	"github.com/perwatt/perwatt/internal/metric"
)

// markSynthetic tags points computed from the embedded synthetic price
// sample with synthetic=true, so they can never pass for market results in
// InfluxDB (the table and JSON already name the sample).
func markSynthetic(pts []metric.Point, pricesSource string) []metric.Point {
	if pricesSource != economics.SyntheticPricesName {
		return pts
	}
	for i := range pts {
		pts[i] = pts[i].WithTags(map[string]string{"synthetic": "true"})
	}
	return pts
}
