package api

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error codes the server answers with; they are the error shapes of the
// Connect service model, so every AWS SDK maps them to its typed errors.
const (
	ErrInvalidParameter = "InvalidParameterException"
	ErrInvalidRequest   = "InvalidRequestException"
	ErrResourceNotFound = "ResourceNotFoundException"
	ErrThrottling       = "ThrottlingException"
	ErrInternal         = "InternalServiceException"
	// ErrUnknownOperation answers a method and path that is no operation
	// this server knows (the real service says the same).
	ErrUnknownOperation = "UnknownOperationException"
)

// apiError is an error the server reports on the wire as
//
//	HTTP <status>, X-Amzn-ErrorType: <Code>, body {"Message": "..."}
//
// which is how the rest-json protocol carries a modelled error.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalidParam(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, ErrInvalidParameter, format, args...)
}

func invalidRequest(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, ErrInvalidRequest, format, args...)
}

func notFound(format string, args ...any) *apiError {
	return errorf(http.StatusNotFound, ErrResourceNotFound, format, args...)
}

func throttled(format string, args ...any) *apiError {
	return errorf(http.StatusTooManyRequests, ErrThrottling, format, args...)
}

// constraintError words a model-constraint violation the way AWS services
// do ("1 validation error detected: ...").
func constraintError(value any, member, constraint string) *apiError {
	return invalidParam("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s",
		value, member, constraint)
}

func writeError(w http.ResponseWriter, reqID string, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.Code)
	h.Set("X-Amzn-RequestId", reqID)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(struct {
		Message string `json:"Message"`
	}{e.Message})
}
