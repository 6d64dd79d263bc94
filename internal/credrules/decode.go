package credrules

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"slices"
)

// Credentials are often stored encoded: a PEM key base64-encoded into a
// YAML value, a token hex-encoded or percent-encoded into a URL. The
// decoding pass finds runs that look like base64, base64url, hex or
// percent-encoding, decodes those that give text, and runs the rules on
// the text, as gitleaks does with --max-decode-depth. A match inside
// decoded text is reported at the encoded run in the original buffer.

// DefaultDecodeDepth is how many times a scan decodes nested encodings
// (base64 of hex of a token is depth 2) unless told otherwise.
const DefaultDecodeDepth = 2

// Bounds on decoding, so that a file of encoded blobs costs at most a few
// times a plain scan: runs shorter than minEncoded are not decoded (a
// credential encodes to more than that), runs longer than maxEncoded (an
// embedded image, a model blob) are skipped, and only a run whose first
// probeEncoded bytes decode to text is decoded in full.
const (
	minEncoded   = 32
	maxEncoded   = 64 << 10
	probeEncoded = 512
)

// FindDecoded returns [Set.Find]'s matches in buf and, up to depth levels
// of nested encoding, the matches inside its base64, base64url, hex and
// percent-encoded runs. A decoded match covers the encoded run (Start,
// End) and carries the decoded secret and the encodings, outermost first.
// The allow comment on the run's line suppresses its decoded matches too.
func (s *Set) FindDecoded(buf []byte, depth int) []Match {
	out := s.Find(buf)
	if depth <= 0 {
		return out
	}
	var dec []Match
	s.eachEncoded(buf, func(st, en int, enc string, text []byte) {
		for _, m := range s.FindDecoded(text, depth-1) {
			secret := m.Secret
			if secret == nil {
				secret = text[m.Start:m.End]
			}
			chain := enc
			if m.Encoding != "" {
				chain += "/" + m.Encoding
			}
			if !s.allowedLine(buf, st, en) {
				continue
			}
			dec = append(dec, Match{Start: st, End: en, Rule: m.Rule, Secret: bytes.Clone(secret), Encoding: chain})
		}
	})
	if len(dec) == 0 {
		return out
	}
	out = append(out, dec...)
	slices.SortStableFunc(out, func(a, b Match) int { return a.Start - b.Start })
	// One encoded run that holds a secret the plain rules also matched
	// there (a long base64 value under password = …) is reported once,
	// decoded, when a specific rule found it.
	return dropGenericOverlaps(out)
}

// eachEncoded calls fn for every encoded run of buf that decodes to text.
func (s *Set) eachEncoded(buf []byte, fn func(st, en int, enc string, text []byte)) {
	n := len(buf)
	for i := 0; i < n; {
		c := buf[i]
		if c == '%' {
			i = s.percentRun(buf, i, fn)
			continue
		}
		if !isB64(c) {
			i++
			continue
		}
		j := i
		allHex, url, std := true, false, false
		for j < n && isB64(buf[j]) {
			switch b := buf[j]; {
			case b == '-' || b == '_':
				url = true
			case b == '+' || b == '/':
				std = true
			case !(b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'):
				allHex = false
			}
			j++
		}
		end := j
		for end < n && end < j+2 && buf[end] == '=' {
			end++
		}
		if l := j - i; l >= minEncoded && end-i <= maxEncoded && !(url && std) {
			run := buf[i:j]
			if allHex && !url && !std && l%2 == 0 {
				if text := decodeText(run, hexDecode); text != nil {
					fn(i, end, "hex", text)
				}
			} else if url {
				if text := decodeText(run, base64.RawURLEncoding.DecodeString); text != nil {
					fn(i, end, "base64url", text)
				}
			} else if text := decodeText(run, base64.RawStdEncoding.DecodeString); text != nil {
				fn(i, end, "base64", text)
			}
		}
		i = end
		if i == j && j < n && buf[j] == '=' {
			i++
		}
	}
}

// percentRun decodes the percent-encoded run around the '%' at buf[i]
// (the non-space bytes about it) when it holds at least three escapes,
// and returns where scanning goes on.
func (s *Set) percentRun(buf []byte, i int, fn func(st, en int, enc string, text []byte)) int {
	st := i
	for st > 0 && i-st < maxEncoded && isURLByte(buf[st-1]) {
		st--
	}
	en := i
	escapes := 0
	for en < len(buf) && en-st < maxEncoded && isURLByte(buf[en]) {
		if buf[en] == '%' && en+2 < len(buf) && isHex(buf[en+1]) && isHex(buf[en+2]) {
			escapes++
		}
		en++
	}
	if escapes >= 3 && en-st >= minEncoded {
		out := make([]byte, 0, en-st)
		for k := st; k < en; k++ {
			if buf[k] == '%' && k+2 < en && isHex(buf[k+1]) && isHex(buf[k+2]) {
				out = append(out, unhex(buf[k+1])<<4|unhex(buf[k+2]))
				k += 2
				continue
			}
			out = append(out, buf[k])
		}
		if isText(out) {
			fn(st, en, "percent", out)
		}
	}
	return max(en, i+1)
}

// decodeText decodes run with dec and returns the result when it is text;
// a probe of the run's start rules out binary (images, digests, DER) for
// the cost of a few hundred bytes.
func decodeText(run []byte, dec func(string) ([]byte, error)) []byte {
	if len(run) > probeEncoded {
		p := run[:probeEncoded] // a multiple of 4 and of 2: decodes alone
		b, err := dec(string(p))
		if err != nil || !isText(b) {
			return nil
		}
	}
	// A base64 run of length 4k+1 has one stray byte.
	if len(run)%4 == 1 {
		run = run[:len(run)-1]
	}
	b, err := dec(string(run))
	if err != nil || !isText(b) {
		return nil
	}
	return b
}

func hexDecode(s string) ([]byte, error) { return hex.DecodeString(s) }

// isText reports whether b is printable ASCII text (tabs and line ends
// allowed): what an encoded credential or key file decodes to.
func isText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

func isB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// isURLByte: the bytes of a percent-encoded run (no space, quote or
// bracket).
func isURLByte(c byte) bool {
	return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '<' && c != '>' && c != '`'
}
