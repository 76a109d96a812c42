# connect-reporting: build, test, package and deploy.
#
#   make test                      the README's test command
#   make lambda                    dist/bootstrap-arm64.zip and dist/bootstrap-x86_64.zip
#   make package S3_BUCKET=...     upload the code, write dist/packaged.yaml
#   make deploy  S3_BUCKET=... INSTANCE_ID=...   create or update the stack
#
# Deployment settings (override on the command line or in the environment):
GO                 ?= go
ARCH               ?= arm64
STACK              ?= connect-reporting
S3_BUCKET          ?=
S3_PREFIX          ?= $(STACK)
INSTANCE_ID        ?=
TIME_ZONE          ?= Australia/Sydney
STORAGE            ?= sqlserver
SQL_PARAM          ?= /connect-reporting/sql-connection-string
SUBNET_IDS         ?=
SECURITY_GROUP_IDS ?=
ALARM_TOPIC_ARN    ?=
# Any other template parameter, as Key=Value pairs (see deploy/template.yaml).
PARAMS             ?=

ARCHES        := arm64 x86_64
goarch_arm64  := arm64
goarch_x86_64 := amd64
# Tag lambda leaves out the commands Lambda does not run (demo, run, serve,
# simulate: the simulator, the dashboard, the Kinesis consumer).
BUILD_FLAGS   := -tags lambda,lambda.norpc -trimpath -ldflags "-s -w"
# The largest bootstrap allowed, in bytes.
MAX_BOOTSTRAP := 25000000

.PHONY: all lambda test package deploy clean FORCE
all: lambda

test:
	$(GO) test -race ./...

# One static binary per architecture, named bootstrap as provided.al2023 wants,
# zipped with a fixed timestamp so an unchanged build uploads nothing new.
lambda: $(foreach a,$(ARCHES),dist/bootstrap-$(a).zip)

dist/bootstrap-%.zip: FORCE
	@test -n "$(goarch_$*)" || { echo "unknown architecture $* (want arm64 or x86_64)"; exit 1; }
	@mkdir -p dist/$*
	CGO_ENABLED=0 GOOS=linux GOARCH=$(goarch_$*) $(GO) build $(BUILD_FLAGS) -o dist/$*/bootstrap ./cmd/connect-reporting
	@size=$$(stat -c %s dist/$*/bootstrap); test $$size -le $(MAX_BOOTSTRAP) || { echo "dist/$*/bootstrap is $$size bytes, over $(MAX_BOOTSTRAP)"; exit 1; }
	@touch -t 198001010000 dist/$*/bootstrap
	@rm -f $@ && cd dist/$* && zip -q -X ../bootstrap-$*.zip bootstrap
	@ls -l dist/$*/bootstrap $@

# The template's functions say Code: ../dist/lambda.zip; package uploads it to
# S3 and writes a template that points there.
package: dist/bootstrap-$(ARCH).zip
	@test -n "$(S3_BUCKET)" || { echo "set S3_BUCKET (a bucket in the stack's region for the code)"; exit 1; }
	cp dist/bootstrap-$(ARCH).zip dist/lambda.zip
	aws cloudformation package \
		--template-file deploy/template.yaml \
		--s3-bucket $(S3_BUCKET) --s3-prefix $(S3_PREFIX) \
		--output-template-file dist/packaged.yaml

deploy: package
	@test -n "$(INSTANCE_ID)" || { echo "set INSTANCE_ID (the Amazon Connect instance id)"; exit 1; }
	aws cloudformation deploy \
		--template-file dist/packaged.yaml \
		--stack-name $(STACK) \
		--capabilities CAPABILITY_NAMED_IAM \
		--no-fail-on-empty-changeset \
		--parameter-overrides \
			InstanceId=$(INSTANCE_ID) \
			Architecture=$(ARCH) \
			TimeZone=$(TIME_ZONE) \
			Storage=$(STORAGE) \
			SqlParameterName=$(SQL_PARAM) \
			$(if $(SUBNET_IDS),SubnetIds=$(SUBNET_IDS)) \
			$(if $(SECURITY_GROUP_IDS),SecurityGroupIds=$(SECURITY_GROUP_IDS)) \
			$(if $(ALARM_TOPIC_ARN),AlarmTopicArn=$(ALARM_TOPIC_ARN)) \
			$(PARAMS)

clean:
	rm -rf dist

FORCE:
