package mlbom

import (
	"encoding/hex"
	"sort"
)

// uuidOf formats the first 16 bytes of an evidence digest as an RFC 9562
// UUID of version 8 (application-defined), so the same evidence always
// gets the same serial number.
func uuidOf(id [32]byte) string {
	u := id[:16]
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lastRun is the latest finish time of the training runs: the BOM's
// timestamp, taken from the evidence rather than the clock.
func (b *BOM) lastRun() string {
	var t string
	for _, r := range b.Runs {
		t = max(t, r.Finished)
	}
	return t
}
