#!/bin/sh
# cloudtwin's EC2 dialect against its real clients: Debian's awscli and
# python3-libcloud's EC2 driver (SigV4 and SigV2), each state change
# observed, bad input answered with EC2's own errors, no VM leaked.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
twin_need /usr/bin/aws /usr/bin/python3 curl
twin_need_py libcloud
CONF=$(mktemp "${TMPDIR:-/tmp}/twin-aws.XXXXXX.json")
twin_fast_config "$CONF" aws
twin_start --config "$CONF"
rm -f "$CONF"

export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY \
	AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
	AWS_MAX_ATTEMPTS=1 AWS_PAGER=
aws() { /usr/bin/aws --endpoint-url "$TWIN_HTTP" ec2 "$@"; }
expect() { # what, want, got
	[ "$2" = "$3" ] || twin_fail "$1: want '$2', got '$3'"
	echo "ok: $1"
}
state_of() { aws describe-instances --instance-ids "$1" --query 'Reservations[0].Instances[0].State.Name' --output text; }
wait_state() { # id state
	i=0
	while [ "$(state_of "$1")" != "$2" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || twin_fail "$1 never reached $2 (is $(state_of "$1"))"
		sleep 0.1
	done
	echo "ok: $1 reached $2"
}
# expect_err what code command...: the command fails and names the code
expect_err() {
	what=$1 code=$2
	shift 2
	if out=$("$@" 2>&1); then twin_fail "$what: succeeded: $out"; fi
	case $out in *"($code)"*) echo "ok: $what ($code)" ;; *) twin_fail "$what: $out" ;; esac
}

# catalog
expect "describe-images by owner" "ami-0c7217cdde317cfec" \
	"$(aws describe-images --owners 099720109477 --filters Name=architecture,Values=x86_64 --query 'Images[].ImageId' --output text)"
expect "describe-images --owners self is empty" "" \
	"$(aws describe-images --owners self --query 'Images[].ImageId' --output text)"
expect "describe-instance-types" "t3.micro	2	1024" \
	"$(aws describe-instance-types --instance-types t3.micro --query 'InstanceTypes[].[InstanceType,VCpuInfo.DefaultVCpus,MemoryInfo.SizeInMiB]' --output text)"

# run, observe pending then running
out=$(aws run-instances --image-id ami-0c7217cdde317cfec --instance-type t3.micro --count 2 \
	--user-data 'echo hello' --tag-specifications \
	'ResourceType=instance,Tags=[{Key=Name,Value=web},{Key=team,Value=blue}]' \
	--query 'Instances[].[InstanceId,State.Name]' --output text)
echo "$out"
expect "run-instances starts pending" "pending pending" "$(echo "$out" | cut -f2 | xargs)"
ID1=$(echo "$out" | sed -n 1p | cut -f1)
ID2=$(echo "$out" | sed -n 2p | cut -f1)
wait_state "$ID1" running
expect "describe-instances filtered by tag" "$ID1 $ID2" \
	"$(aws describe-instances --filters Name=tag:team,Values=blue Name=instance-state-name,Values=running --query 'Reservations[].Instances[].InstanceId' --output text | xargs)"
expect "a filter that matches nothing" "" \
	"$(aws describe-instances --filters Name=tag:team,Values=red --query 'Reservations[].Instances[].InstanceId' --output text)"
expect "pagination with MaxResults" "2" \
	"$(aws describe-instances --max-items 1 --page-size 5 --query 'Reservations[].Instances[].InstanceId' --output text | wc -w)"

# stop, start, reboot, terminate
expect "stop-instances" "stopping" \
	"$(aws stop-instances --instance-ids "$ID1" --query 'StoppingInstances[0].CurrentState.Name' --output text)"
wait_state "$ID1" stopped
expect_err "reboot of a stopped instance" IncorrectInstanceState aws reboot-instances --instance-ids "$ID1"
expect "start-instances" "pending" \
	"$(aws start-instances --instance-ids "$ID1" --query 'StartingInstances[0].CurrentState.Name' --output text)"
wait_state "$ID1" running
aws reboot-instances --instance-ids "$ID1"
echo "ok: reboot-instances"
expect "terminate-instances" "shutting-down shutting-down" \
	"$(aws terminate-instances --instance-ids "$ID1" "$ID2" --query 'TerminatingInstances[].CurrentState.Name' --output text | xargs)"
wait_state "$ID1" terminated

# bad input answered as EC2 answers it
expect_err "a wrong secret key" SignatureDoesNotMatch env AWS_SECRET_ACCESS_KEY=wrong /usr/bin/aws --endpoint-url "$TWIN_HTTP" ec2 describe-instances
expect_err "an unknown access key" AuthFailure env AWS_ACCESS_KEY_ID=AKIDNOBODY /usr/bin/aws --endpoint-url "$TWIN_HTTP" ec2 describe-instances
expect_err "a malformed instance id" InvalidInstanceID.Malformed aws describe-instances --instance-ids i-xyz
expect_err "an unknown instance id" InvalidInstanceID.NotFound aws describe-instances --instance-ids i-0123456789abcdef0
expect_err "an unknown image" InvalidAMIID.NotFound aws run-instances --image-id ami-00000000000000000 --count 1
expect_err "an unknown instance type" InvalidParameterValue aws run-instances --image-id ami-0c7217cdde317cfec --instance-type x9.huge --count 1
expect_err "an unknown filter" InvalidParameterValue aws describe-instances --filters Name=colour,Values=red
expect_err "DryRun" DryRunOperation aws run-instances --dry-run --image-id ami-0c7217cdde317cfec --count 1
expect_err "an unknown action" InvalidAction /usr/bin/aws --endpoint-url "$TWIN_HTTP" ec2 describe-hosts

# idempotency: the same ClientToken returns the same instance
T=tok-$$
A=$(aws run-instances --image-id ami-0c7217cdde317cfec --instance-type t3.micro --count 1 --client-token "$T" --query 'Instances[0].InstanceId' --output text)
B=$(aws run-instances --image-id ami-0c7217cdde317cfec --instance-type t3.micro --count 1 --client-token "$T" --query 'Instances[0].InstanceId' --output text)
expect "ClientToken idempotency" "$A" "$B"
expect_err "ClientToken with other parameters" IdempotentParameterMismatch aws run-instances --image-id ami-0c7217cdde317cfec --instance-type t3.small --count 1 --client-token "$T"
aws terminate-instances --instance-ids "$A" >/dev/null

# quota: a vCPU limit answered with VcpuLimitExceeded
curl -sS -X PATCH -d '{"vcpus_per_region": 4}' "$TWIN_HTTP/_twin/clouds/aws/faults" >/dev/null
expect_err "the vCPU quota" VcpuLimitExceeded aws run-instances --image-id ami-0c7217cdde317cfec --instance-type m5.xlarge --count 2
curl -sS -X PATCH -d '{"vcpus_per_region": 1024}' "$TWIN_HTTP/_twin/clouds/aws/faults" >/dev/null

# libcloud, both signature versions
"$TWIN_PY" tests/twin/ec2_libcloud.py aws 4
"$TWIN_PY" tests/twin/ec2_libcloud.py aws 2

twin_no_leaks aws terminated terminating
echo "all EC2 checks passed"
