package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// errorFromAnswer turns an answer outside 2xx into an *Error, reading the API's error body when
// it is one of the two documented shapes and saying so plainly when it is not.
func (c *Client) errorFromAnswer(req *apiRequest, res *apiResponse, cause error) *Error {
	e := c.fail(req, res, "", cause)
	e.RetryAfter = parseRetryAfter(res.header.Get("Retry-After"), c.now())
	if cause != nil {
		e.Message = "the response body was cut off"
		return e
	}
	if len(bytes.TrimSpace(res.body)) == 0 {
		return e
	}
	if !json.Valid(res.body) {
		e.Message = "the response body is not JSON" + contentTypeNote(res)
		return e
	}
	var body errorBody
	if json.Unmarshal(res.body, &body) != nil {
		e.Message = "the error body has an unexpected shape"
		return e
	}
	var object errorObject
	var text string
	switch {
	case len(body.Error) == 0:
	case json.Unmarshal(body.Error, &object) == nil:
		e.Code = errorCode(&object)
		e.Message = c.redact(object.Message)
	case json.Unmarshal(body.Error, &text) == nil:
		e.Message = c.redact(text)
	default:
		e.Message = "the error body has an unexpected shape"
	}
	e.Details = validationDetails(body.Detail)
	if len(e.Details) > 0 {
		parts := make([]string, 0, len(e.Details))
		for _, d := range e.Details {
			parts = append(parts, d.String())
		}
		e.Message = c.redact(strings.TrimPrefix(e.Message+"; "+strings.Join(parts, "; "), "; "))
	} else if e.Message == "" && len(body.Detail) > 0 {
		if json.Unmarshal(body.Detail, &text) == nil {
			e.Message = c.redact(text)
		}
	}
	return e
}

// String renders a detail as "path.image_id: value is not a valid uuid".
func (d ValidationDetail) String() string {
	if len(d.Location) == 0 {
		return d.Message
	}
	return strings.Join(d.Location, ".") + ": " + d.Message
}

// errorCode reads "code", which IAM sends as a number with a "title" and the Image API as a word.
func errorCode(e *errorObject) string {
	var word string
	if json.Unmarshal(e.Code, &word) == nil && word != "" {
		return word
	}
	if e.Title != "" {
		return e.Title
	}
	var number json.Number
	if json.Unmarshal(e.Code, &number) == nil {
		return number.String()
	}
	return ""
}

func validationDetails(raw json.RawMessage) []ValidationDetail {
	var items []struct {
		Loc  []json.RawMessage `json:"loc"`
		Msg  string            `json:"msg"`
		Type string            `json:"type"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	out := make([]ValidationDetail, 0, len(items))
	for _, item := range items {
		d := ValidationDetail{Message: item.Msg, Type: item.Type}
		for _, part := range item.Loc {
			// FastAPI locations mix names and list indexes.
			var name string
			if json.Unmarshal(part, &name) != nil {
				name = string(part)
			}
			d.Location = append(d.Location, name)
		}
		out = append(out, d)
	}
	return out
}

// decodeAnswer reads a 2xx body into v; an empty, truncated or mistyped body becomes an *Error.
func (c *Client) decodeAnswer(req *apiRequest, res *apiResponse, v any) error {
	if len(bytes.TrimSpace(res.body)) == 0 {
		return c.fail(req, res, "the API answered with an empty body where one was expected", nil)
	}
	if note := contentTypeNote(res); note != "" {
		// The contract sends JSON with its media type on every body; anything else is a proxy or
		// an error page answering in the API's place, even when the body happens to parse.
		return c.fail(req, res, "the response body is not declared as JSON"+note, nil)
	}
	dec := json.NewDecoder(bytes.NewReader(res.body))
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		where := "the response body"
		if typeErr.Field != "" {
			where = fmt.Sprintf("the response field %q", typeErr.Field)
		}
		return c.fail(req, res, fmt.Sprintf("%s holds a JSON %s where %s belongs",
			where, typeErr.Value, jsonKind(typeErr.Type)), nil)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return c.fail(req, res, "the response body is truncated JSON"+contentTypeNote(res), nil)
	case errors.As(err, &syntaxErr):
		return c.fail(req, res, fmt.Sprintf("the response body is not JSON%s (offset %d)",
			contentTypeNote(res), syntaxErr.Offset), nil)
	}
	return c.fail(req, res, "the response body could not be decoded"+contentTypeNote(res), err)
}

// contentTypeNote names the content type when it is not JSON, the likely cause of a bad body.
func contentTypeNote(res *apiResponse) string {
	contentType := res.header.Get("Content-Type")
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err == nil && (mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")) {
		return ""
	}
	if contentType == "" {
		return " (no Content-Type)"
	}
	return fmt.Sprintf(" (Content-Type %s)", strconv.Quote(contentType))
}

func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another type"
}

// parseAPITime reads an RFC 3339 timestamp; null or absent is the zero time.
func (c *Client) parseAPITime(req *apiRequest, res *apiResponse, field string, value *string) (time.Time, error) {
	if value == nil || *value == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *value)
	if err != nil {
		return time.Time{}, c.fail(req, res, fmt.Sprintf("the response field %q is not an RFC 3339 time", field), nil)
	}
	return t, nil
}

type errorBody struct {
	Error  json.RawMessage `json:"error"`
	Detail json.RawMessage `json:"detail"`
}

type errorObject struct {
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
	Title   string          `json:"title"`
}
