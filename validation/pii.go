package validation

import (
	"math/big"
	"regexp"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/credrules"
)

// PIIDetectors are the detectors of expect_column_values_to_not_contain_pii.
var PIIDetectors = []string{"email", "phone", "credit_card", "iban", "us_ssn"}

var (
	reEmail = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// Phone numbers: E.164 (+ and 8-15 digits) or North American forms.
	rePhone = regexp.MustCompile(`(?:\+[1-9]\d{0,2}[ .\-]?(?:\(?\d{1,4}\)?[ .\-]?){2,4}\d{2,4})|(?:\(?\b[2-9]\d{2}\)?[ .\-]\d{3}[ .\-]\d{4}\b)`)
	// Card candidates: 13-19 digits, optionally grouped by spaces or dashes.
	reCard = regexp.MustCompile(`\b\d(?:[ \-]?\d){12,18}\b`)
	// IBAN candidates: country code, check digits, 11-30 alphanumerics.
	reIBAN = regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b`)
	// US SSN: area not 000/666/9xx, group not 00, serial not 0000.
	reSSN = regexp.MustCompile(`\b(\d{3})-(\d{2})-(\d{4})\b`)
)

// DetectPII returns which of the named detectors (all when none are
// named) find personal data in s.
func DetectPII(s string, detectors ...string) []string {
	if len(detectors) == 0 {
		detectors = PIIDetectors
	}
	var found []string
	for _, d := range detectors {
		var hit bool
		switch d {
		case "email":
			hit = strings.Contains(s, "@") && reEmail.MatchString(s)
		case "phone":
			hit = rePhone.MatchString(s)
		case "credit_card":
			for _, m := range reCard.FindAllString(s, -1) {
				if luhn(m) {
					hit = true
					break
				}
			}
		case "iban":
			for _, m := range reIBAN.FindAllString(s, -1) {
				if ibanValid(m) {
					hit = true
					break
				}
			}
		case "us_ssn":
			for _, m := range reSSN.FindAllStringSubmatch(s, -1) {
				if m[1] != "000" && m[1] != "666" && m[1][0] != '9' && m[2] != "00" && m[3] != "0000" {
					hit = true
					break
				}
			}
		}
		if hit {
			found = append(found, d)
		}
	}
	return found
}

// luhn reports whether the digits of s pass the Luhn checksum (ISO/IEC
// 7812-1), which every payment card number satisfies.
func luhn(s string) bool {
	var sum, n int
	double := false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c == ' ' || c == '-' {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
		n++
	}
	return n >= 13 && n <= 19 && sum%10 == 0
}

// ibanLengths are the IBAN lengths of common countries (ISO 13616
// registry); other countries are accepted at any length 15-34.
var ibanLengths = map[string]int{
	"AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18,
	"FR": 27, "GB": 22, "IE": 22, "IT": 27, "LU": 20, "NL": 18, "NO": 15, "PL": 28,
	"PT": 25, "SE": 24,
}

// ibanValid checks an IBAN's length and ISO 7064 mod-97 check digits.
func ibanValid(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	if n, ok := ibanLengths[s[:2]]; ok && n != len(s) {
		return false
	}
	r := s[4:] + s[:4]
	var num strings.Builder
	for _, c := range r {
		switch {
		case c >= '0' && c <= '9':
			num.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			num.WriteString(big.NewInt(int64(c - 'A' + 10)).String())
		default:
			return false
		}
	}
	v, ok := new(big.Int).SetString(num.String(), 10)
	return ok && new(big.Int).Mod(v, big.NewInt(97)).Int64() == 1
}

// DetectCredential returns the ID of the rule that recognises the first
// credential in s (for example "aws-access-key-id", "private-key",
// "generic-secret-assignment"), or "" when there is none. The rules,
// entropy floors and placeholder allowlist are those of the secrets
// scanner, so this check and a scan judge a string alike.
func DetectCredential(s string) string { return credrules.DefaultSet().Detect(s) }
