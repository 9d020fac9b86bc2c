package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"salesgraph/sales"
)

// The HTTP layer's own errors. gqlgen's transports answer a body they cannot
// decode with INTERNAL (and log the whole body), and their 400 and 406
// answers carry no code; everything here gives the client a status, a code
// and a message, and logs no more than a short prefix of what it refused.

// logPrefix is how much of a refused body the log keeps.
const logPrefix = 32

// writeError answers with a GraphQL-shaped error and no data.
func writeError(w http.ResponseWriter, r *http.Request, status int, e *sales.Error) {
	ext := map[string]any{"code": string(e.Code)}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	if e.Code == sales.CodeUnavailable {
		ext["requestId"] = RequestID(r.Context())
		w.Header().Set("Retry-After", "1")
	}
	body, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": e.Message, "extensions": ext}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// isJSONPost reports a request gqlgen's POST transport would take.
func isJSONPost(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// checkBody reads and decodes a JSON POST's body, refusing what gqlgen would
// answer with INTERNAL. It returns the decoded request, which the POST
// transport (decodedPOST) executes without decoding the body again, or nil
// when it has refused the request.
func checkBody(w http.ResponseWriter, r *http.Request, logger *slog.Logger) *graphql.RawParams {
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	refuse := func(status int, e *sales.Error) *graphql.RawParams {
		logger.InfoContext(r.Context(), "request refused", "requestId", RequestID(r.Context()), "status", status,
			"code", e.Code, "bytes", len(body), "prefix", fmt.Sprintf("%.*q", logPrefix, body))
		writeError(w, r, status, e)
		return nil
	}
	if err != nil {
		if tooBig, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return refuse(http.StatusRequestEntityTooLarge, sales.Errorf(sales.CodeRequestTooLarge, "",
				"the request body is larger than %d bytes", tooBig.Limit))
		}
		return refuse(http.StatusBadRequest, sales.Errorf(sales.CodeBadRequest, "", "the request body could not be read"))
	}
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return refuse(http.StatusBadRequest, sales.Errorf(sales.CodeBadRequest, "",
			`the request body is empty: send a JSON object such as {"query": "{ me { email } }"}`))
	case trimmed[0] == '[':
		return refuse(http.StatusBadRequest, sales.Errorf(sales.CodeBadRequest, "",
			"batched requests are not supported: send one operation per request"))
	}
	// gqlgen's own decoding: numbers stay json.Number, as its POST transport has them.
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		if typeErr, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && typeErr.Field != "" {
			return refuse(http.StatusBadRequest, sales.Errorf(sales.CodeBadRequest, typeErr.Field,
				"%q has the wrong type: query and operationName are strings, variables and extensions objects", typeErr.Field))
		}
		return refuse(http.StatusBadRequest, sales.Errorf(sales.CodeBadRequest, "", "the request body is not a valid JSON object"))
	}
	if dec.More() {
		return refuse(http.StatusBadRequest, sales.Errorf(sales.CodeBadRequest, "", "the request body holds more than one JSON value"))
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	r.Body = io.NopCloser(bytes.NewReader(body)) // for any handler that reads it after all
	return params
}

// decodedPOST is gqlgen's POST transport for a request whose body checkBody
// has decoded (withRequest puts it in the context): it executes that instead
// of reading and decoding the body a second time. What it answers is what
// gqlgen's transport.POST answers; a request without decoded params (no
// withRequest in front) goes to transport.POST itself.
type decodedPOST struct{ transport.POST }

func (t decodedPOST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	info := requestInfoFrom(r.Context())
	if info == nil || info.params == nil {
		t.POST.Do(w, r, exec)
		return
	}
	ctx, params := r.Context(), info.params
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	params.Headers = r.Header
	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == contentTypeGraphQLResponse {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

const contentTypeGraphQLResponse = "application/graphql-response+json"

// responseContentType is the media type gqlgen's POST transport answers with:
// application/json unless Accept prefers application/graphql-response+json.
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return "application/json"
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*", "application/json":
			return "application/json"
		case contentTypeGraphQLResponse:
			return contentTypeGraphQLResponse
		}
	}
	return contentTypeGraphQLResponse
}

func writeResponse(w io.Writer, resp *graphql.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		panic(fmt.Errorf("unable to marshal %s: %w", string(resp.Data), err))
	}
	_, _ = w.Write(b)
}

// codedWriter holds back an error response (status 400 and up) so that
// finish can give each of its errors a code: gqlgen's transport errors
// ("transport not supported", "GET requests only allow query operations")
// have none.
type codedWriter struct {
	http.ResponseWriter
	status int
	held   *bytes.Buffer
}

func (c *codedWriter) WriteHeader(status int) {
	if c.status != 0 {
		return
	}
	c.status = status
	if status >= 400 {
		c.held = new(bytes.Buffer)
		return
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *codedWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if c.held != nil {
		return c.held.Write(p)
	}
	return c.ResponseWriter.Write(p)
}

// finish writes a held error response, adding a code to each error without one.
func (c *codedWriter) finish() {
	if c.held == nil {
		return
	}
	body := c.held.Bytes()
	var resp map[string]any
	if json.Unmarshal(body, &resp) == nil {
		if errs, ok := resp["errors"].([]any); ok {
			changed := false
			for _, e := range errs {
				m, ok := e.(map[string]any)
				if !ok {
					continue
				}
				ext, _ := m["extensions"].(map[string]any)
				if _, has := ext["code"]; has {
					continue
				}
				if ext == nil {
					ext = map[string]any{}
					m["extensions"] = ext
				}
				ext["code"] = string(codeForStatus(c.status))
				changed = true
			}
			if changed {
				if b, err := json.Marshal(resp); err == nil {
					body = b
				}
			}
		}
	}
	c.ResponseWriter.WriteHeader(c.status)
	_, _ = c.ResponseWriter.Write(body)
}

func codeForStatus(status int) sales.Code {
	switch {
	case status == http.StatusRequestEntityTooLarge:
		return sales.CodeRequestTooLarge
	case status == http.StatusServiceUnavailable:
		return sales.CodeUnavailable
	case status >= 500:
		return sales.CodeInternal
	default:
		return sales.CodeBadRequest
	}
}
