package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMonitor runs the example and checks what it prints and writes: the
// first week is quiet, the creep that starts on day 8 is flagged, and the
// merged window profile has drifted.
func TestMonitor(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"-out", out}, &stdout, &stderr), stderr.String())
	t.Log(stdout.String())

	verdicts := map[int]string{}
	for _, line := range strings.Split(stdout.String(), "\n") {
		var day, rows int
		var verdict string
		if n, _ := fmt.Sscanf(line, "day %d %d %s", &day, &rows, &verdict); n == 3 {
			verdicts[day] = verdict
			require.Equal(t, 2000, rows)
		}
	}
	require.Len(t, verdicts, 14)
	for day := 1; day <= 7; day++ {
		require.Equal(t, "ok", verdicts[day], "day %d has no shift", day)
	}
	for day := 11; day <= 14; day++ {
		require.Equal(t, "DRIFT", verdicts[day], "day %d is well into the shift", day)
	}
	for day := 1; day <= 14; day++ {
		require.FileExists(t, filepath.Join(out, "reports", fmt.Sprintf("day-%02d.html", day)))
	}

	var window struct {
		Dataset struct {
			Drifted bool `json:"drifted"`
		} `json:"dataset"`
		Current struct {
			Rows int64 `json:"rows"`
		} `json:"current"`
	}
	b, err := os.ReadFile(filepath.Join(out, "reports", "window.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &window))
	require.True(t, window.Dataset.Drifted)
	require.Equal(t, int64(7*2000), window.Current.Rows, "the window merges the last 7 daily profiles")
}

func TestBadUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 2, run(context.Background(), []string{"-days", "0"}, &stdout, &stderr))
	require.Equal(t, 2, run(context.Background(), []string{"extra"}, &stdout, &stderr))
}
