package lambda

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// ParameterReader reads one SSM parameter, decrypted.
type ParameterReader interface {
	ReadParameter(ctx context.Context, name string) (Secret, error)
}

// SSMGetParameterAPI is the one SSM operation used; *ssm.Client implements it.
type SSMGetParameterAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SSMReader reads parameters with GetParameter and WithDecryption, so a
// SecureString parameter yields its plain value.
type SSMReader struct{ Client SSMGetParameterAPI }

// NewSSMReader returns an SSMReader on the SDK's default configuration:
// region, credentials and endpoint from the environment (AWS_REGION, the
// Lambda role's credentials, AWS_ENDPOINT_URL_SSM or AWS_ENDPOINT_URL).
func NewSSMReader(ctx context.Context, optFns ...func(*ssm.Options)) (*SSMReader, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return &SSMReader{Client: ssm.NewFromConfig(cfg, optFns...)}, nil
}

// ReadParameter returns the decrypted value of the parameter name.
func (r *SSMReader) ReadParameter(ctx context.Context, name string) (Secret, error) {
	out, err := r.Client.GetParameter(ctx, &ssm.GetParameterInput{
		Name:           aws.String(name),
		WithDecryption: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("read SSM parameter %s: %w", name, err)
	}
	if out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
		return "", fmt.Errorf("read SSM parameter %s: %w", name, errEmptyParameter)
	}
	return Secret(aws.ToString(out.Parameter.Value)), nil
}

var errEmptyParameter = errors.New("parameter has no value")
