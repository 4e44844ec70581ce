package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	visibilityPublic  = "public"
	visibilityPrivate = "private"
	visibilityShared  = "shared"

	memberPending  = "pending"
	memberAccepted = "accepted"
)

var (
	imageStatuses  = []string{"queued", "saving", "active", "deactivated", "deleted"}
	instanceTypes  = []string{"vm", "bm", "gpu"}
	osTypes        = []string{"LINUX", "WINDOWS"}
	errorCodeNames = map[int]string{
		http.StatusBadRequest:            "BadRequest",
		http.StatusUnauthorized:          "Unauthorized",
		http.StatusForbidden:             "Forbidden",
		http.StatusNotFound:              "NotFound",
		http.StatusMethodNotAllowed:      "MethodNotAllowed",
		http.StatusConflict:              "Conflict",
		http.StatusRequestEntityTooLarge: "RequestEntityTooLarge",
		http.StatusUnprocessableEntity:   "UnprocessableEntity",
		http.StatusTooManyRequests:       "TooManyRequests",
		http.StatusInternalServerError:   "InternalServerError",
		http.StatusBadGateway:            "BadGateway",
		http.StatusServiceUnavailable:    "ServiceUnavailable",
	}
)

func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

func lower(s string) string {
	return strings.ToLower(s)
}

// isImageID accepts the 8-4-4-4-12 hex form in either case.
func isImageID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isProjectID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"InternalServerError","message":"cannot encode the answer"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers in the Image and Config API error form (section 5 of the contract).
func writeError(w http.ResponseWriter, status int, message string) {
	code, ok := errorCodeNames[status]
	if !ok {
		code = strings.ReplaceAll(http.StatusText(status), " ", "")
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: message}})
}

// writeIAMError answers in the identity service's own form, where code is the number.
func writeIAMError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, iamErrorBody{Error: iamErrorDetail{
		Code: status, Message: message, Title: http.StatusText(status),
	}})
}

func writeValidation(w http.ResponseWriter, problems []fieldProblem) {
	writeJSON(w, http.StatusUnprocessableEntity, validationBody{Detail: problems})
}

func problem(where, name, msg, kind string) fieldProblem {
	loc := []string{where}
	if name != "" {
		loc = append(loc, name)
	}
	return fieldProblem{Loc: loc, Msg: msg, Type: kind}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type iamErrorBody struct {
	Error iamErrorDetail `json:"error"`
}

type iamErrorDetail struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Title   string `json:"title"`
}

type validationBody struct {
	Detail []fieldProblem `json:"detail"`
}

type fieldProblem struct {
	Loc  []string `json:"loc"`
	Msg  string   `json:"msg"`
	Type string   `json:"type"`
}

type paginationBody struct {
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}
