package client

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestHostileSuccessAnswers(t *testing.T) {
	type call func(*Client) error
	getImage := func(c *Client) error { _, err := c.GetImage(t.Context(), testImageID); return err }
	listMembers := func(c *Client) error { _, err := c.ListImageMembers(t.Context(), testImageID); return err }
	addMember := func(c *Client) error {
		_, err := c.AddImageMember(t.Context(), testImageID, testMemberID)
		return err
	}
	tests := []struct {
		name        string
		call        call
		operation   string
		contentType string
		body        string
		wantErr     string // "" means the answer must decode
	}{
		{name: "image empty body", call: getImage, operation: "get image", wantErr: "empty body"},
		{name: "image whitespace body", call: getImage, operation: "get image", body: " \n", wantErr: "empty body"},
		{name: "image truncated", call: getImage, operation: "get image", body: `{"image":{"id":"x","na`,
			wantErr: "truncated JSON"},
		{name: "image HTML with 200", call: getImage, operation: "get image", contentType: "text/html",
			body: "<html>oops</html>", wantErr: `not declared as JSON (Content-Type "text/html")`},
		{name: "image JSON under a wrong content type", call: getImage, operation: "get image",
			contentType: "text/plain", body: imageBody(), wantErr: `not declared as JSON (Content-Type "text/plain")`},
		{name: "image null", call: getImage, operation: "get image", body: `{"image":null}`, wantErr: `no "image"`},
		{name: "image without id", call: getImage, operation: "get image", body: `{"image":{"name":"x"}}`,
			wantErr: `"image.id" is missing`},
		{name: "image name is a number", call: getImage, operation: "get image", body: `{"image":{"id":"x","name":5}}`,
			wantErr: `"image.name" holds a JSON number where a string belongs`},
		{name: "image size is a string", call: getImage, operation: "get image", body: `{"image":{"id":"x","size":"big"}}`,
			wantErr: `"image.size" holds a JSON string where a whole number belongs`},
		{name: "image os_info is a list", call: getImage, operation: "get image", body: `{"image":{"id":"x","os_info":[]}}`,
			wantErr: `"image.os_info" holds a JSON array where an object belongs`},
		{name: "image bad time", call: getImage, operation: "get image", body: `{"image":{"id":"x","created_at":"yesterday"}}`,
			wantErr: `"image.created_at" is not an RFC 3339 time`},
		{name: "image a JSON list", call: getImage, operation: "get image", body: `[1,2]`,
			wantErr: "holds a JSON array where an object belongs"},
		{name: "members empty body", call: listMembers, operation: "list image members", wantErr: "empty body"},
		{name: "members key missing", call: listMembers, operation: "list image members", body: `{"pagination":{"total":0}}`,
			wantErr: `no "members" list`},
		{name: "members null", call: listMembers, operation: "list image members", body: `{"members":null}`,
			wantErr: `no "members" list`},
		{name: "member id is a number", call: listMembers, operation: "list image members",
			body: `{"members":[{"id":7}],"pagination":{"total":1}}`, wantErr: `"members.id" holds a JSON number`},
		{name: "member without id", call: listMembers, operation: "list image members",
			body: `{"members":[{"status":"accepted"}],"pagination":{"total":1}}`, wantErr: `"members.id" is missing`},
		{name: "is_shared is a string", call: listMembers, operation: "list image members",
			body: `{"members":[{"id":"a","is_shared":"yes"}]}`, wantErr: `"members.is_shared" holds a JSON string`},
		{name: "total is a string", call: listMembers, operation: "list image members",
			body: `{"members":[],"pagination":{"total":"3"}}`, wantErr: `"pagination.total" holds a JSON string`},
		{name: "member bad time", call: listMembers, operation: "list image members",
			body: `{"members":[{"id":"a","updated_at":"12:00"}]}`, wantErr: `"members.updated_at" is not an RFC 3339`},
		{name: "members under a wrong content type", call: listMembers, operation: "list image members",
			contentType: "application/octet-stream",
			body:        `{"members":[],"pagination":{"total":0,"offset":0,"limit":1000}}`, wantErr: "not declared as JSON"},
		{name: "members with a JSON content type and charset", call: listMembers,
			contentType: "application/json; charset=utf-8",
			body:        `{"members":[],"pagination":{"total":0,"offset":0,"limit":1000}}`},
		{name: "added member empty body", call: addMember, operation: "add image member", wantErr: "empty body"},
		{name: "added member missing", call: addMember, operation: "add image member", body: `{}`,
			wantErr: `no "member" object`},
		{name: "added member truncated", call: addMember, operation: "add image member", body: `{"member":{"id":"`,
			wantErr: "truncated JSON"},
		{name: "added member status is a number", call: addMember, operation: "add image member",
			body: `{"member":{"id":"a","status":1}}`, wantErr: `"member.status" holds a JSON number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte(tt.body))
			})
			c := newTestClient(t, srv, nil)
			err := tt.call(c)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if apiErr.Operation != tt.operation || !strings.HasPrefix(err.Error(), tt.operation+" ") {
				t.Errorf("error %q does not name the operation %q", err, tt.operation)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
			if IsTransient(err) || IsNotFound(err) {
				t.Errorf("a malformed 200 answer must be neither transient nor not found: %v", err)
			}
		})
	}
}

func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		retryAfter  string
		body        string
		want        Error
		wantText    string
	}{
		{name: "image API error", status: 404, body: `{"error":{"code":"NotFound","message":"image not found"}}`,
			want: Error{Code: "NotFound", Message: "image not found"}, wantText: "404 NotFound: image not found"},
		{name: "IAM error with a numeric code", status: 403,
			body: `{"error":{"code":403,"message":"denied","title":"Forbidden"}}`,
			want: Error{Code: "Forbidden", Message: "denied"}},
		{name: "numeric code without title", status: 400, body: `{"error":{"code":400,"message":"bad"}}`,
			want: Error{Code: "400", Message: "bad"}},
		{name: "error as a string", status: 409, body: `{"error":"already a member"}`,
			want: Error{Message: "already a member"}, wantText: "409 Conflict: already a member"},
		{name: "validation details", status: 422, body: `{"detail":[{"loc":["path","image_id"],"msg":"not a uuid",
			"type":"uuid_parsing"},{"loc":["query","limit"],"msg":"too big","type":"less_than_equal"}]}`,
			want: Error{Message: "path.image_id: not a uuid; query.limit: too big", Details: []ValidationDetail{
				{Location: []string{"path", "image_id"}, Message: "not a uuid", Type: "uuid_parsing"},
				{Location: []string{"query", "limit"}, Message: "too big", Type: "less_than_equal"}}}},
		{name: "validation detail with an index", status: 422,
			body: `{"detail":[{"loc":["body","members",3],"msg":"bad","type":"x"}]}`,
			want: Error{Message: "body.members.3: bad", Details: []ValidationDetail{
				{Location: []string{"body", "members", "3"}, Message: "bad", Type: "x"}}}},
		{name: "detail as a string", status: 400, body: `{"detail":"Not allowed"}`, want: Error{Message: "Not allowed"}},
		{name: "empty body", status: 500, body: "", want: Error{}, wantText: "500 Internal Server Error"},
		{name: "plain text", status: 403, contentType: "text/plain", body: "forbidden",
			want:     Error{Message: `the response body is not JSON (Content-Type "text/plain")`},
			wantText: `403 Forbidden: the response body is not JSON (Content-Type "text/plain")`},
		{name: "unexpected JSON shape", status: 400, body: `{"error":{"message":5}}`,
			want: Error{Message: "the error body has an unexpected shape"}},
		{name: "secret echoed back", status: 400, body: `{"error":{"code":"Bad","message":"secret emulator-owner-secret"}}`,
			want: Error{Code: "Bad", Message: "secret [redacted]"}},
		{name: "retry after", status: 429, retryAfter: "7", body: `{"error":{"code":"TooManyRequests","message":"slow"}}`,
			want: Error{Code: "TooManyRequests", Message: "slow", RetryAfter: 7e9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, newRawServer(t, func(http.ResponseWriter, *http.Request) {}), nil)
			header := http.Header{"Content-Type": {"application/json"}}
			if tt.contentType != "" {
				header.Set("Content-Type", tt.contentType)
			}
			if tt.retryAfter != "" {
				header.Set("Retry-After", tt.retryAfter)
			}
			req := &apiRequest{operation: "get image", imageID: testImageID}
			got := c.errorFromAnswer(req, &apiResponse{status: tt.status, header: header, body: []byte(tt.body)}, nil)
			if got.StatusCode != tt.status || got.Code != tt.want.Code || got.Message != tt.want.Message ||
				got.RetryAfter != tt.want.RetryAfter || len(got.Details) != len(tt.want.Details) {
				t.Fatalf("error = %#v, want %#v", got, tt.want)
			}
			for i := range got.Details {
				if got.Details[i].String() != tt.want.Details[i].String() || got.Details[i].Type != tt.want.Details[i].Type {
					t.Errorf("detail %d = %+v, want %+v", i, got.Details[i], tt.want.Details[i])
				}
			}
			if tt.wantText != "" && got.Error() != "get image "+testImageID+": "+tt.wantText {
				t.Errorf("Error() = %q, want %q", got.Error(), "get image "+testImageID+": "+tt.wantText)
			}
		})
	}
}

// fuzzClient is a Client that never makes a request: fuzz targets only call its decoders.
func fuzzClient(f *testing.F) *Client {
	c, err := New(Config{IAMEndpoint: "http://127.0.0.1:1", ImageEndpoint: "http://127.0.0.1:1",
		CredentialID: testCredentialID, CredentialSecret: testCredentialSecret})
	if err != nil {
		f.Fatal(err)
	}
	return c
}

func checkDecodeError(t *testing.T, err error, operation string) {
	t.Helper()
	if err == nil {
		return
	}
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Operation != operation {
		t.Fatalf("error %#v is not an *Error for %q", err, operation)
	}
	if strings.Contains(err.Error(), testCredentialSecret) {
		t.Fatalf("error names the secret: %v", err)
	}
}

func FuzzDecodeMembersPage(f *testing.F) {
	f.Add([]byte(`{"members":[`+memberJSON(testMemberID, true)+`],"pagination":{"total":1,"offset":0,"limit":20}}`),
		"application/json")
	f.Add([]byte(`{"members":[{"id":5}]}`), "application/json")
	f.Add([]byte(`{"members":[{"id":"a","created_at":"x"}]}`), "")
	f.Add([]byte(`{"members":`), "text/html")
	f.Add([]byte(`<html>bad gateway</html>`), "text/html")
	f.Add([]byte(``), "application/json")
	f.Add([]byte(`{"members":null,"pagination":{"total":-1}}`), "application/json")
	f.Add([]byte(`{"members":[{"id":"a","is_shared":null,"status":null}],"pagination":{"total":1e99}}`), "")
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		req := &apiRequest{operation: "list image members", imageID: testImageID}
		res := &apiResponse{status: 200, header: http.Header{"Content-Type": {contentType}}, body: body}
		members, _, err := c.decodeMembersPage(req, res, testImageID)
		checkDecodeError(t, err, "list image members")
		for _, m := range members {
			if m.ID == "" || m.ImageID == "" {
				t.Fatalf("decoded a member without IDs: %+v", m)
			}
		}
	})
}

func FuzzDecodeImage(f *testing.F) {
	f.Add([]byte(imageBody()), "application/json")
	f.Add([]byte(`{"image":{"id":"x","name":5}}`), "application/json")
	f.Add([]byte(`{"image":{"id":"x","os_info":{"is_hidden":"no"}}}`), "")
	f.Add([]byte(`{"image":null}`), "text/plain")
	f.Add([]byte(`{"image":{"id":"x","size":1.5}}`), "application/json")
	f.Add([]byte(`{"image":{"id":`), "application/json")
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		req := &apiRequest{operation: "get image", imageID: testImageID}
		res := &apiResponse{status: 200, header: http.Header{"Content-Type": {contentType}}, body: body}
		image, err := c.decodeImage(req, res)
		checkDecodeError(t, err, "get image")
		if err == nil && image.ID == "" {
			t.Fatal("decoded an image without an ID")
		}
	})
}

func FuzzDecodeAddedMember(f *testing.F) {
	f.Add([]byte(`{"member":`+memberJSON(testMemberID, false)+`}`), "application/json")
	f.Add([]byte(`{"member":{"id":1}}`), "application/json")
	f.Add([]byte(`{}`), "")
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		req := &apiRequest{operation: "add image member", imageID: testImageID, projectID: testMemberID}
		res := &apiResponse{status: 200, header: http.Header{"Content-Type": {contentType}}, body: body}
		m, err := c.decodeAddedMember(req, res, testImageID)
		checkDecodeError(t, err, "add image member")
		if err == nil && (m.ID == "" || m.ImageID == "") {
			t.Fatalf("decoded a member without IDs: %+v", m)
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	f.Add([]byte(`{"token":{"expires_at":"2099-01-01T00:00:00Z","issued_at":"2098-12-31T23:00:00Z",
		"project":{"id":"p","name":"n"}}}`), "t")
	f.Add([]byte(`{"token":{"expires_at":"2000-01-01T00:00:00Z","issued_at":"2099-01-01T00:00:00Z"}}`), "t")
	f.Add([]byte(`{"token":{"expires_at":5}}`), "t")
	f.Add([]byte(`{"token":{}}`), "")
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte, subjectToken string) {
		req := &apiRequest{operation: "issue token"}
		header := http.Header{"Content-Type": {"application/json"}, "X-Subject-Token": {subjectToken}}
		_, err := c.tokenFromAnswer(req, &apiResponse{status: 201, header: header, body: body})
		checkDecodeError(t, err, "issue token")
	})
}

func FuzzDecodeErrorAnswer(f *testing.F) {
	f.Add(404, []byte(`{"error":{"code":"NotFound","message":"image not found"}}`), "application/json", "")
	f.Add(401, []byte(`{"error":{"code":401,"message":"m","title":"Unauthorized"}}`), "application/json", "")
	f.Add(422, []byte(`{"detail":[{"loc":["path",0],"msg":"m","type":"t"}]}`), "application/json", "")
	f.Add(422, []byte(`{"detail":[{"loc":"path"}]}`), "application/json", "")
	f.Add(502, []byte(`<html>bad gateway</html>`), "text/html", "")
	f.Add(429, []byte(``), "", "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(429, []byte(`{"error":null}`), "", "-1")
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, status int, body []byte, contentType, retryAfter string) {
		req := &apiRequest{operation: "remove image member", imageID: testImageID, projectID: testMemberID}
		header := http.Header{"Content-Type": {contentType}, "Retry-After": {retryAfter}}
		e := c.errorFromAnswer(req, &apiResponse{status: status, header: header, body: body}, nil)
		checkDecodeError(t, e, "remove image member")
		if e.StatusCode != status || e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("error = %#v", e)
		}
		_ = e.Error()
	})
}
