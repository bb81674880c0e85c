package api

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkParse measures parseAnswer on each format (xml: the success answer, read by
// the fast path; xml-error: an answer that takes the full parse), against a bare Unmarshal of the
// same bytes into a struct (no checks) measured in the same run: "x-baseline" is ours
// divided by that.
func BenchmarkParse(b *testing.B) {
	type xmlBare struct {
		Status   string `xml:"status,attr"`
		Customer struct {
			Status string `xml:"status,attr"`
			Code   string `xml:"code"`
		} `xml:"customer"`
	}
	type jsonBare struct {
		Status   string `json:"status"`
		Customer struct {
			Status string `json:"status"`
			Code   string `json:"code"`
		} `json:"customer"`
	}
	cases := []struct {
		name     string
		body     []byte
		baseline func([]byte) error
	}{
		{"xml", []byte(xmlNew), func(p []byte) error { var v xmlBare; return xml.Unmarshal(p, &v) }},
		{"xml-error", []byte(xmlError), func(p []byte) error { var v xmlBare; return xml.Unmarshal(p, &v) }},
		{"json", []byte(jsonNew), func(p []byte) error { var v jsonBare; return json.Unmarshal(p, &v) }},
		{"jsonp", []byte("cb(" + jsonNew + ");"), func(p []byte) error { var v jsonBare; return json.Unmarshal(p[3:len(p)-2], &v) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var base, ours time.Duration
			// Alternate batches of the two, so that a change in the machine's load
			// during the run weighs on both alike.
			const batch = 64
			for done := 0; done < b.N; done += batch {
				n := min(batch, b.N-done)
				start := time.Now()
				for range n {
					if err := tc.baseline(tc.body); err != nil {
						b.Fatal(err)
					}
				}
				mid := time.Now()
				for range n {
					if _, err := parseAnswer(tc.body); err != nil {
						b.Fatal(err)
					}
				}
				base += mid.Sub(start)
				ours += time.Since(mid)
			}
			b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ns/parse")
			b.ReportMetric(float64(ours)/float64(base), "x-baseline")
		})
	}
}

// BenchmarkSend measures one Send against a local server, against a bare http.Client
// posting the same form and reading the answer in the same run ("x-baseline").
func BenchmarkSend(b *testing.B) {
	srv, _ := newServer(b, answerWith(200, nil, xmlNew))
	c := newTestClient(b, srv.URL, nil)
	body, _ := c.form(sampleFields)
	bare := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	b.Cleanup(bare.CloseIdleConnections)
	ctx := context.Background()

	post := func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := bare.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	b.ResetTimer()
	var base, ours time.Duration
	for range b.N { // alternate, so that load changes weigh on both alike
		start := time.Now()
		post()
		mid := time.Now()
		if o := c.Send(ctx, sampleFields); o.Kind != Success {
			b.Fatalf("Send = %+v", o)
		}
		base += mid.Sub(start)
		ours += time.Since(mid)
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ns/send")
	b.ReportMetric(float64(ours)/float64(base), "x-baseline")
}
