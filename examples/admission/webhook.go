package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ModelAnnotation names models a Pod loads by digest (comma-separated
// "sha256:HEX"), for models that reach the Pod another way than an image.
const ModelAnnotation = "models.mlsec.dev/digests"

// maxReviewBytes bounds an AdmissionReview body (the API server sends at
// most a few megabytes).
const maxReviewBytes = 8 << 20

var (
	pinnedRef  = regexp.MustCompile(`@(sha256:[0-9a-f]{64})$`)
	bareDigest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// modelRefs lists the model digests a Pod would run: image volumes (OCI
// artifacts mounted read-only, the Kubernetes way to ship a model), KServe
// modelcar containers, and the digests named in ModelAnnotation. A model
// image referenced by tag cannot be checked, so it is an error.
func modelRefs(pod *corev1.Pod) ([]string, error) {
	seen := map[string]bool{}
	var errs []error
	add := func(what, ref string) {
		m := pinnedRef.FindStringSubmatch(ref)
		if m == nil {
			errs = append(errs, fmt.Errorf("%s %q is not pinned by digest (name@sha256:...)", what, ref))
			return
		}
		seen[m[1]] = true
	}
	for _, v := range pod.Spec.Volumes {
		if v.Image != nil {
			add("image volume "+v.Name, v.Image.Reference)
		}
	}
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		if c.Name == "modelcar" {
			add("modelcar container", c.Image)
		}
	}
	if a := pod.Annotations[ModelAnnotation]; a != "" {
		for _, d := range strings.Split(a, ",") {
			d = strings.TrimSpace(d)
			if !bareDigest.MatchString(d) {
				errs = append(errs, fmt.Errorf("annotation %s: %q is not sha256:HEX", ModelAnnotation, d))
				continue
			}
			seen[d] = true
		}
	}
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, errors.Join(errs...)
}

// decision is a cached verdict on one model digest.
type decision struct {
	err     error
	expires time.Time
}

// webhook is the validating admission webhook: it admits a Pod only when
// every model it mounts has a passing VSA. Verdicts are cached by digest
// (a digest's content never changes; a VSA's freshness does, hence a TTL).
// It fails closed: a malformed request, a lookup error or a timeout deny.
type webhook struct {
	check   func(context.Context, string) error
	timeout time.Duration
	ttl     time.Duration
	now     func() time.Time

	mu    sync.Mutex
	cache map[string]decision
}

func newWebhook(check func(context.Context, string) error, timeout, ttl time.Duration) *webhook {
	return &webhook{check: check, timeout: timeout, ttl: ttl, now: time.Now, cache: map[string]decision{}}
}

func (w *webhook) verdict(ctx context.Context, digest string) error {
	w.mu.Lock()
	d, ok := w.cache[digest]
	w.mu.Unlock()
	if ok && w.now().Before(d.expires) {
		return d.err
	}
	done := make(chan error, 1)
	go func() { done <- w.check(ctx, digest) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// Not cached: the next request tries again.
		return fmt.Errorf("model %s: verification did not finish in %s: denied", digest, w.timeout)
	}
	w.mu.Lock()
	w.cache[digest] = decision{err: err, expires: w.now().Add(w.ttl)}
	w.mu.Unlock()
	return err
}

// review decides one AdmissionRequest.
func (w *webhook) review(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	resp := &admissionv1.AdmissionResponse{UID: req.UID}
	deny := func(reasons ...string) *admissionv1.AdmissionResponse {
		resp.Allowed = false
		resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden,
			Message: "mlsec: " + strings.Join(reasons, "; ")}
		return resp
	}
	if req.Kind.Kind != "Pod" || req.Kind.Group != "" {
		return deny(fmt.Sprintf("this webhook reviews Pods, not %s", req.Kind.String()))
	}
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		return deny("the Pod in the request cannot be read: " + err.Error())
	}
	digests, err := modelRefs(&pod)
	var reasons []string
	if err != nil {
		reasons = append(reasons, err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	for _, d := range digests {
		if err := w.verdict(ctx, d); err != nil {
			reasons = append(reasons, err.Error())
		}
	}
	if len(reasons) > 0 {
		return deny(reasons...)
	}
	resp.Allowed = true
	if len(digests) > 0 {
		resp.Result = &metav1.Status{Message: fmt.Sprintf("mlsec: %d model(s) verified: %s", len(digests), strings.Join(digests, ", "))}
	}
	return resp
}

// ServeHTTP handles POST /validate with an admission.k8s.io/v1
// AdmissionReview. A request that is not one is a 400 (the API server then
// applies the webhook's failurePolicy, which should be Fail).
func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "POST an AdmissionReview", http.StatusMethodNotAllowed)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		http.Error(rw, "want Content-Type application/json", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxReviewBytes+1))
	if err != nil || len(body) > maxReviewBytes {
		http.Error(rw, "unreadable or oversized AdmissionReview", http.StatusBadRequest)
		return
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		http.Error(rw, "malformed AdmissionReview: "+err.Error(), http.StatusBadRequest)
		return
	}
	if review.Request == nil || review.APIVersion != "admission.k8s.io/v1" || review.Kind != "AdmissionReview" {
		http.Error(rw, "want an admission.k8s.io/v1 AdmissionReview with a request", http.StatusBadRequest)
		return
	}
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: w.review(r.Context(), review.Request)}
	rw.Header().Set("Content-Type", "application/json")
	json.NewEncoder(rw).Encode(out)
}
