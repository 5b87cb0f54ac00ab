package main

import (
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// drawPlot draws the four series against minutes, one panel each, into
// a PNG; the warm-up and last windows' bounds are marked on each panel.
func drawPlot(path string, samples []sample, total float64) error {
	series := []struct {
		title string
		f     func(sample) float64
	}{
		{"RSS (MiB)", func(s sample) float64 { return s.rss / (1 << 20) }},
		{"goroutines", func(s sample) float64 { return s.goroutines }},
		{"open files", func(s sample) float64 { return s.fds }},
		{"queued recipients", func(s sample) float64 { return s.queue }},
	}
	w0, w1, l0 := windows(durationOfMinutes(total))
	rows := make([][]*plot.Plot, len(series))
	for i, sr := range series {
		p := plot.New()
		p.Title.Text = sr.title
		p.X.Label.Text = "minutes (load ends at the last marker; drain after)"
		pts := make(plotter.XYs, len(samples))
		maxY := 1.0
		for j, s := range samples {
			pts[j].X, pts[j].Y = s.t.Minutes(), sr.f(s)
			maxY = max(maxY, pts[j].Y)
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		p.Add(l)
		p.Y.Min = 0
		for _, x := range []float64{w0.Minutes(), w1.Minutes(), l0.Minutes(), total} {
			m, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: maxY * 1.05}})
			if err != nil {
				return err
			}
			m.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
			p.Add(m)
		}
		rows[i] = []*plot.Plot{p}
	}
	img := vgimg.New(vg.Points(900), vg.Points(1100))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(series), Cols: 1, PadX: vg.Millimeter, PadY: 2 * vg.Millimeter,
		PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: 2 * vg.Millimeter}
	cs := plot.Align(rows, tiles, dc)
	for i := range rows {
		rows[i][0].Draw(cs[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
