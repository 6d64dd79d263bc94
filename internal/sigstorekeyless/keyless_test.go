package sigstorekeyless

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRuleMatch(t *testing.T) {
	id := Identity{
		Issuer:           "https://token.actions.githubusercontent.com",
		SAN:              "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1",
		SourceRepository: "https://github.com/o/r", SourceRef: "refs/tags/v1",
		RunnerEnvironment: "github-hosted", BuildTrigger: "release",
	}
	for _, tt := range []struct {
		name string
		rule Rule
		want string // "" when it matches
	}{
		{"exact", Rule{Issuer: id.Issuer, SAN: id.SAN}, ""},
		{"regexp", Rule{Issuer: id.Issuer, SANRegexp: `https://github\.com/o/r/\.github/workflows/release\.yml@refs/tags/v.*`}, ""},
		{"regexp anchored at the end", Rule{Issuer: id.Issuer, SANRegexp: `https://github\.com/o/r/`}, "does not match regexp"},
		{"regexp anchored at the start", Rule{Issuer: id.Issuer, SANRegexp: `o/r/.*`}, "does not match regexp"},
		{"exact is not a regexp", Rule{Issuer: id.Issuer, SAN: "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v."}, "does not match"},
		{"issuer", Rule{Issuer: "https://accounts.google.com", SAN: id.SAN}, `issuer "https://token.actions.githubusercontent.com" does not match`},
		{"claims", Rule{Issuer: id.Issuer, SAN: id.SAN, SourceRepository: id.SourceRepository, SourceRef: "refs/tags/v1", RunnerEnvironment: "github-hosted", BuildTrigger: "release"}, ""},
		{"trigger", Rule{Issuer: id.Issuer, SAN: id.SAN, BuildTrigger: "push"}, `buildTrigger "release", want "push"`},
		{"signer digest required", Rule{Issuer: id.Issuer, SAN: id.SAN, BuildSignerDigest: "abc"}, `buildSignerDigest "", want "abc"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.rule.Compile()
			require.NoError(t, err)
			got := m.Mismatch(id)
			if tt.want == "" {
				require.Empty(t, got)
				return
			}
			require.Contains(t, got, tt.want)
		})
	}
}

func TestRuleCompileErrors(t *testing.T) {
	for _, r := range []Rule{
		{SAN: "x"},
		{Issuer: "a", IssuerRegexp: "b", SAN: "x"},
		{Issuer: "a"},
		{Issuer: "a", SANRegexp: "("},
	} {
		_, err := r.Compile()
		require.Error(t, err, "%+v", r)
	}
}

func TestVerifyDSSERefusesGarbage(t *testing.T) {
	_, err := VerifyDSSE([]byte(`{"mediaType":"x"}`), nil)
	require.ErrorIs(t, err, ErrVerification)
}
